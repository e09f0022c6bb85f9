/// What telemetry knows about one capture after its last window.
package struct CaptureTelemetrySnapshot: Sendable, Equatable {
    package var capture: String
    /// Windows summarised so far.
    package var windows: Int
    /// Length of the last window, seconds, and its end (`CLOCK_REALTIME` ns).
    package var windowSeconds: Double
    package var windowEndedAt: Int64
    /// Messages emitted in the window and per second.
    package var messages: Int
    package var messagesPerSecond: Double
    /// Capture totals since start.
    package var emittedTotal: Int
    package var lateMessagesTotal: Int
    package var gapsTotal: Int
    /// Lines the merger dropped because every write buffer was in use (disk failing).
    package var storageDropsTotal: Int = 0
    /// Streams silent on every connection or never heard from (the stream watchdog's gauge).
    package var silentStreams: Int = 0
    /// Holes waited on and late copies placed or dropped, since start.
    package var merge = CaptureStatistics.MergeSnapshot()
    /// The merged stream (winning copies): arrival minus `E` and minus `T`, µs.
    package var mergedEvent: FigureSummary
    package var mergedTransaction: FigureSummary
    package var connections: [ConnectionTelemetrySnapshot]
    /// Alarms standing after this window.
    package var alarms: [TelemetryAlarm]
}
