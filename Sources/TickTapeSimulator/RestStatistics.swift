/// What the simulator's REST endpoint of one market has served: the ground truth of weight-budget tests.
public struct RestStatistics: Sendable, Equatable {
    /// Depth requests received (well-formed or not).
    public var requests = 0
    /// Requests answered with a snapshot.
    public var snapshots = 0
    /// Weight charged over the whole run.
    public var weightUsed = 0
    /// The most weight charged within one window.
    public var maximumWindowWeight = 0
    /// 429 responses sent (weight budget exceeded).
    public var rateLimited = 0
    /// 418 responses sent (requests after a 429 before its `Retry-After`).
    public var banned = 0

    public init() {}
}
