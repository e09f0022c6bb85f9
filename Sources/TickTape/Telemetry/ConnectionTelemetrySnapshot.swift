/// What telemetry knows about one connection after a window: the figures the summary log line,
/// the Prometheus endpoint and the alarms are made of.
package struct ConnectionTelemetrySnapshot: Sendable, Equatable {
    package var connection: Int
    package var connected: Bool
    /// Seconds since the current connection opened (0 while down).
    package var uptimeSeconds: Double
    /// In the window: copies received, races won, duplicates, late copies, ring overflows.
    package var messages: Int
    package var wins: Int
    package var duplicates: Int
    package var lateCopies: Int
    package var ringOverflows: Int
    /// Share of the merged stream's messages this connection delivered first, 0–1, in the
    /// window and since start (nil when nothing was emitted).
    package var winShare: Double?
    package var winShareTotal: Double?
    /// Counters since start.
    package var totals: ConnectionStatistics.Snapshot
    /// Reconnections (connects after the first).
    package var reconnects: Int { max(0, totals.connects - 1) }
    /// Ring depth when the reporter looked, and the deepest the merger saw in the window.
    package var ringDepth: Int
    package var ringDepthMax: Int
    package var ringCapacity: Int
    /// Last client ping round trip, ns (nil before the first pong).
    package var pingRoundTripNanos: Int?
    /// Arrival minus `E` and minus `T`, µs.
    package var latencyEvent: FigureSummary
    package var latencyTransaction: FigureSummary
    /// Arrival minus the winning copy's arrival, for copies that lost, ns.
    package var lag: FigureSummary
}
