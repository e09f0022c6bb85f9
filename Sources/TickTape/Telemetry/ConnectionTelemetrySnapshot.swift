/// What telemetry knows about one connection after a window: the figures the summary log line,
/// the Prometheus endpoint and the alarms are made of.
public struct ConnectionTelemetrySnapshot: Sendable, Equatable {
    public var connection: Int
    public var connected: Bool
    /// Seconds since the current connection opened (0 while down).
    public var uptimeSeconds: Double
    /// In the window: copies received, races won, duplicates, late copies, ring overflows.
    public var messages: Int
    public var wins: Int
    public var duplicates: Int
    public var lateCopies: Int
    public var ringOverflows: Int
    /// Share of the merged stream's messages this connection delivered first, 0–1, in the
    /// window and since start (nil when nothing was emitted).
    public var winShare: Double?
    public var winShareTotal: Double?
    /// Counters since start.
    public var totals: ConnectionStatistics.Snapshot
    /// Reconnections (connects after the first).
    public var reconnects: Int { max(0, totals.connects - 1) }
    /// Ring depth when the reporter looked, and the deepest the merger saw in the window.
    public var ringDepth: Int
    public var ringDepthMax: Int
    public var ringCapacity: Int
    /// Last client ping round trip, ns (nil before the first pong).
    public var pingRoundTripNanos: Int?
    /// Arrival minus `E` and minus `T`, µs.
    public var latencyEvent: FigureSummary
    public var latencyTransaction: FigureSummary
    /// Arrival minus the winning copy's arrival, for copies that lost, ns.
    public var lag: FigureSummary
}
