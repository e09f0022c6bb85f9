/// Why a book needs a (new) REST snapshot. Counted per reason by ``BookSyncCounters``, and
/// named in the ledger entry the live side writes.
package enum ResyncReason: String, Sendable, Hashable, CaseIterable {
    /// The first diff of a book that has never been synced.
    case initial
    /// The chain broke: USD-M `pu` ≠ previous `u`, or spot `U` ≠ previous `u` + 1. The caller
    /// only feeds the merged stream after the bounded hole wait, so this is a real break.
    case sequenceGap = "gap"
    /// After the snapshot's id, the first diff did not bridge it (`U` beyond it).
    case noBridge = "no_bridge"
    /// The snapshot is older than every buffered diff: a newer one is needed.
    case snapshotTooOld = "snapshot_too_old"
    /// Best bid ≥ best ask after applying a diff.
    case crossed
    /// Requested from outside (book disagrees with bookTicker, a full ring, an operator).
    case external
}
