/// What the merger did for one stream beyond writing first arrivals: holes it waited on and how
/// they ended, and late copies and where they went.
///
/// The merger accumulates these per stream while it fills a ``LineBuffer`` and hands them over
/// with it, so the segment that holds those lines reports them in its manifest (a buffer is
/// never split across segments).
package struct StreamMergeCounts: Sendable, Equatable {
    /// Copies with an id below the last one written that had not been written (the faster
    /// connections skipped them).
    package var lateCopies = 0
    /// Late copies put in their id-ordered place in the capture (the place was still in memory).
    package var latePlaced = 0
    /// Late copies dropped because their place was already handed to the writer.
    package var lateDropped = 0
    /// Holes in a continuity stream (trade, aggTrade, depth) filled by another connection while
    /// the successors waited.
    package var holesFilled = 0
    /// Holes whose wait ran out (or that no connection still up could fill): ledger gaps.
    package var holesExpired = 0
    /// For each filled hole, nanoseconds from the hole being noticed to the copy filling it.
    package var fillDelays: [Int64] = []

    package init() {}

    /// Whether nothing was counted.
    package var isEmpty: Bool {
        lateCopies == 0 && latePlaced == 0 && lateDropped == 0 && holesFilled == 0 && holesExpired == 0
    }

    /// Adds `other`'s counts to these.
    package mutating func add(_ other: StreamMergeCounts) {
        lateCopies += other.lateCopies
        latePlaced += other.latePlaced
        lateDropped += other.lateDropped
        holesFilled += other.holesFilled
        holesExpired += other.holesExpired
        fillDelays.append(contentsOf: other.fillDelays)
    }
}
