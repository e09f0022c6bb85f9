import Synchronization

/// Merged-stream counters of one capture, written by the merger thread only.
public final class CaptureStatistics: Sendable {
    /// Lines handed to the writer.
    public let emitted = Atomic<Int>(0)
    /// Distinct messages that arrived only after a later id had been emitted.
    public let lateMessages = Atomic<Int>(0)
    /// Gap ledger entries and the ids they cover.
    public let gaps = Atomic<Int>(0)
    public let missingIDs = Atomic<Int>(0)
    /// Lines lost because the write buffers were exhausted (disk failing for too long).
    public let storageDrops = Atomic<Int>(0)
    /// Receive stamp of the last emitted line.
    public let lastEmittedAt = Atomic<Int>(0)
    /// Streams the stream watchdog currently reports silent on every connection, or never
    /// heard from since the capture started (gauge), and how often that began (counter).
    public let silentStreams = Atomic<Int>(0)
    public let streamSilences = Atomic<Int>(0)

    public init() {}
}
