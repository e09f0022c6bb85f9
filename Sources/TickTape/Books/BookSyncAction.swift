/// What ``BookSynchronizer`` did with one input, and what (if anything) the caller must do.
///
/// The synchronizer does no I/O: a `.needSnapshot` asks the caller to fetch a REST snapshot
/// (within the weight budget) and hand it to ``BookSynchronizer/applySnapshot(_:)``, while
/// diffs keep flowing in and are buffered meanwhile.
package enum BookSyncAction: Sendable, Equatable {
    /// The diff was applied to a synced book.
    case applied
    /// The diff was kept for the snapshot in flight.
    case buffered
    /// The diff is older than the book (or the snapshot) and was dropped.
    case droppedStale
    /// A full-levels message (partial depth) replaced the book.
    case replaced
    /// The snapshot was loaded and the buffered diffs after it applied: the book is usable
    /// (or, if no buffered diff reached past it yet, waits in ``BookSynchronizer/State/bridging(snapshotID:)``).
    case snapshotApplied
    /// A snapshot arrived that nobody asked for (the book is synced): ignored.
    case snapshotIgnored
    /// Fetch a snapshot. The book is not usable until one is applied.
    case needSnapshot(ResyncReason)
}
