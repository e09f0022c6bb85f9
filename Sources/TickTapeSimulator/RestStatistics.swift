/// What the simulator's REST endpoint of one market has served: the ground truth of weight-budget tests.
package struct RestStatistics: Sendable, Equatable {
    /// Depth requests received (well-formed or not).
    package var requests = 0
    /// Requests answered with a snapshot.
    package var snapshots = 0
    /// Weight charged over the whole run.
    package var weightUsed = 0
    /// The most weight charged within one window.
    package var maximumWindowWeight = 0
    /// 429 responses sent (weight budget exceeded).
    package var rateLimited = 0
    /// 418 responses sent (requests after a 429 before its `Retry-After`).
    package var banned = 0

    package init() {}
}
