import Synchronization

/// Merged-stream counters of one capture, written by the merger thread only.
package final class CaptureStatistics: Sendable {
    /// Lines handed to the writer.
    package let emitted = Atomic<Int>(0)
    /// Distinct messages that arrived only after a later id had been emitted.
    package let lateMessages = Atomic<Int>(0)
    /// Late copies put in their id-ordered place, and late copies dropped because their
    /// place had already been handed to the writer.
    package let latePlaced = Atomic<Int>(0)
    package let lateDropped = Atomic<Int>(0)
    /// Copies held behind a hole in a continuity stream; holes filled by another connection
    /// within `hole_wait`, and holes that expired into ledger gaps.
    package let heldCopies = Atomic<Int>(0)
    /// Copies held right now (gauge, refreshed every second).
    package let heldNow = Atomic<Int>(0)
    package let holesFilled = Atomic<Int>(0)
    package let holesExpired = Atomic<Int>(0)
    /// The `hole_wait` in force (ns; adaptive with `"auto"`).
    package let holeWaitNanos = Atomic<Int>(0)
    /// Since start: time from a hole being noticed to its fill (p50, p99, max), and time a held
    /// copy waited before release (the extra latency paid), ns; refreshed every second.
    package let fillDelayP50Nanos = Atomic<Int>(0)
    package let fillDelayP99Nanos = Atomic<Int>(0)
    package let fillDelayMaxNanos = Atomic<Int>(0)
    package let holdDelayP50Nanos = Atomic<Int>(0)
    package let holdDelayP99Nanos = Atomic<Int>(0)
    package let holdDelayMaxNanos = Atomic<Int>(0)
    /// Gap ledger entries and the ids they cover.
    package let gaps = Atomic<Int>(0)
    package let missingIDs = Atomic<Int>(0)
    /// Lines lost because the write buffers were exhausted (disk failing for too long).
    package let storageDrops = Atomic<Int>(0)
    /// Receive stamp of the last emitted line.
    package let lastEmittedAt = Atomic<Int>(0)
    /// Streams the stream watchdog currently reports silent on every connection, or never
    /// heard from since the capture started (gauge), and how often that began (counter).
    package let silentStreams = Atomic<Int>(0)
    package let streamSilences = Atomic<Int>(0)

    package init() {}

    /// A plain copy of the merge counters (holes, late copies, waits).
    package var merge: MergeSnapshot {
        MergeSnapshot(
            latePlaced: latePlaced.load(ordering: .relaxed), lateDropped: lateDropped.load(ordering: .relaxed),
            heldCopies: heldCopies.load(ordering: .relaxed), heldNow: heldNow.load(ordering: .relaxed),
            holesFilled: holesFilled.load(ordering: .relaxed), holesExpired: holesExpired.load(ordering: .relaxed),
            holeWaitNanos: holeWaitNanos.load(ordering: .relaxed),
            fillDelayNanos: [
                fillDelayP50Nanos.load(ordering: .relaxed), fillDelayP99Nanos.load(ordering: .relaxed),
                fillDelayMaxNanos.load(ordering: .relaxed),
            ],
            holdDelayNanos: [
                holdDelayP50Nanos.load(ordering: .relaxed), holdDelayP99Nanos.load(ordering: .relaxed),
                holdDelayMaxNanos.load(ordering: .relaxed),
            ])
    }

    /// The merge counters at one moment; delays are `[p50, p99, max]` ns since start.
    package struct MergeSnapshot: Sendable, Equatable {
        package var latePlaced = 0
        package var lateDropped = 0
        package var heldCopies = 0
        package var heldNow = 0
        package var holesFilled = 0
        package var holesExpired = 0
        package var holeWaitNanos = 0
        package var fillDelayNanos = [0, 0, 0]
        package var holdDelayNanos = [0, 0, 0]

        package init() {}

        init(
            latePlaced: Int, lateDropped: Int, heldCopies: Int, heldNow: Int, holesFilled: Int, holesExpired: Int,
            holeWaitNanos: Int, fillDelayNanos: [Int], holdDelayNanos: [Int]
        ) {
            self.latePlaced = latePlaced
            self.lateDropped = lateDropped
            self.heldCopies = heldCopies
            self.heldNow = heldNow
            self.holesFilled = holesFilled
            self.holesExpired = holesExpired
            self.holeWaitNanos = holeWaitNanos
            self.fillDelayNanos = fillDelayNanos
            self.holdDelayNanos = holdDelayNanos
        }
    }
}
