/// What telemetry knows about one capture after its last window.
public struct CaptureTelemetrySnapshot: Sendable, Equatable {
    public var capture: String
    /// Windows summarised so far.
    public var windows: Int
    /// Length of the last window, seconds, and its end (`CLOCK_REALTIME` ns).
    public var windowSeconds: Double
    public var windowEndedAt: Int64
    /// Messages emitted in the window and per second.
    public var messages: Int
    public var messagesPerSecond: Double
    /// Capture totals since start.
    public var emittedTotal: Int
    public var lateMessagesTotal: Int
    public var gapsTotal: Int
    /// Lines the merger dropped because every write buffer was in use (disk failing).
    public var storageDropsTotal: Int = 0
    /// Streams silent on every connection or never heard from (the stream watchdog's gauge).
    public var silentStreams: Int = 0
    /// Holes waited on and late copies placed or dropped, since start.
    public var merge = CaptureStatistics.MergeSnapshot()
    /// The merged stream (winning copies): arrival minus `E` and minus `T`, µs.
    public var mergedEvent: FigureSummary
    public var mergedTransaction: FigureSummary
    public var connections: [ConnectionTelemetrySnapshot]
    /// Alarms standing after this window.
    public var alarms: [TelemetryAlarm]
}
