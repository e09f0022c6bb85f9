/// One interval of a capture's telemetry: the merged stream's histograms and every
/// connection's, with the counters as they stood at the window's end.
///
/// Two windows exist per capture and trade places every interval: the merger records into
/// one while the reporter summarises and resets the other. Neither is ever copied, so the
/// swap costs two pointer moves and the merger never waits.
final class TelemetryWindow {
    /// Merged stream (the winning copies): arrival minus `E`, µs.
    var mergedEvent = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// Merged stream: arrival minus `T`, µs.
    var mergedTransaction = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// By connection slot (``ConnectionStatistics/index``).
    var connections: [ConnectionWindow] = []
    /// `CLOCK_MONOTONIC` ns at the window's start and end.
    var startedAt: Int64 = 0
    var endedAt: Int64 = 0
    /// `CLOCK_REALTIME` ns at the window's end.
    var endedAtWall: Int64 = 0
    /// Capture totals at the window's end.
    var emittedTotal = 0
    var lateMessagesTotal = 0
    var gapsTotal = 0

    /// Makes sure slots `0..<count` exist. Allocates only when connections were added, and
    /// only on a window the caller owns.
    func ensureConnections(_ count: Int) {
        while connections.count < count { connections.append(ConnectionWindow()) }
    }

    func reset() {
        mergedEvent.reset()
        mergedTransaction.reset()
        for c in connections { c.reset() }
    }
}
