/// What one ``BookSynchronizer`` has done, for telemetry and tests. Plain integers in fixed
/// fields: counting costs nothing on the hot path.
package struct BookSyncCounters: Sendable, Equatable {
    /// Diffs applied to a synced book (including buffered diffs replayed after a snapshot).
    package var applied = 0
    /// Diffs buffered while a snapshot was awaited.
    package var buffered = 0
    /// Diffs dropped as older than the book or the snapshot.
    package var droppedStale = 0
    /// Buffered diffs discarded because the buffer was full.
    package var overflowed = 0
    /// Snapshots loaded.
    package var snapshotsApplied = 0
    /// Snapshots that were too old and are being requested again.
    package var snapshotsRejected = 0
    /// Full-levels messages that replaced the book.
    package var replaced = 0
    /// Snapshot requests by reason, indexed like `ResyncReason.allCases`.
    package var resyncsByReason = [Int](repeating: 0, count: ResyncReason.allCases.count)

    package init() {}

    /// Snapshot requests for `reason`.
    package func resyncs(_ reason: ResyncReason) -> Int {
        resyncsByReason[ResyncReason.allCases.firstIndex(of: reason)!]
    }

    /// Snapshot requests other than the first (`initial`).
    package var resyncs: Int { resyncsByReason.reduce(0, +) - resyncs(.initial) }

    mutating func count(_ reason: ResyncReason) {
        resyncsByReason[ResyncReason.allCases.firstIndex(of: reason)!] += 1
    }
}
