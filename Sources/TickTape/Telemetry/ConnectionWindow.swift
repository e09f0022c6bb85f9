/// One interval's histograms of one connection slot, filled by the merger thread.
///
/// A class so the merger records into it in place through ``TelemetryWindow/connections``
/// without copying histograms; it is owned by exactly one thread at a time (see
/// ``WindowExchange``).
final class ConnectionWindow {
    /// Arrival minus `E`, µs (signed: the host clock may be behind the exchange's).
    var latencyEvent = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// Arrival minus `T`, µs, for streams that carry a transaction time.
    var latencyTransaction = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// For each copy that lost the race: its receive stamp minus the winner's, ns.
    var lag = SignedHistogram(limit: TelemetryLimits.lagNanos)
    /// Deepest ring seen by the merger's polls during the window.
    var ringDepthMax = 0
    /// Counters as they stood when the window closed (nil if the connection had left).
    var counters: ConnectionStatistics.Snapshot?
    /// The connection's ring and capacity, for the current depth (reporter side).
    var ring: SPSCRing<InboundFrame>?

    func reset() {
        latencyEvent.reset()
        latencyTransaction.reset()
        lag.reset()
        ringDepthMax = 0
        counters = nil
    }
}

/// Ranges of the histograms: beyond them values are recorded at the limit and counted.
enum TelemetryLimits {
    /// ±60 s in µs: a clock off by more is broken, not skewed.
    static let latencyMicros: UInt64 = 60_000_000
    /// ±60 s in ns.
    static let lagNanos: UInt64 = 60_000_000_000
}
