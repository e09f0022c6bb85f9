/// One segment for the sealer: the plain file to seal and what is known about it.
///
/// A job from the writer knows the segment's exact wall-clock span, the ledger entries the
/// writer assigned to it, the clock samples and what the merger counted (holes, late copies). A job
/// from crash recovery knows only the file: the span comes from its name and contents, the
/// gaps from `gaps.jsonl` by time, and late copies are unknown.
package struct SealJob: Sendable, Equatable {
    /// The plain file (`.tape.open` or `.tape`).
    package var source: String
    package var directory: String
    /// Base name of the segment (see ``SegmentName``).
    package var base: String
    package var capture: String
    package var recovered: Bool
    package var startedAt: Int64
    package var endedAt: Int64?
    package var gaps: [GapRecord]?
    /// What the merger counted per stream (nil from crash recovery: unknown).
    package var merge: [String: StreamMergeReport]?
    package var clock: [ClockSyncState]

    package init(
        source: String, directory: String, base: String, capture: String, recovered: Bool, startedAt: Int64,
        endedAt: Int64? = nil, gaps: [GapRecord]? = nil, merge: [String: StreamMergeReport]? = nil, clock: [ClockSyncState] = []
    ) {
        self.source = source
        self.directory = directory
        self.base = base
        self.capture = capture
        self.recovered = recovered
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.gaps = gaps
        self.merge = merge
        self.clock = clock
    }

    var sealedPath: String { directory + "/" + base + SegmentName.sealedSuffix }
    var manifestPath: String { directory + "/" + base + SegmentName.manifestSuffix }
    var recoveredPath: String { directory + "/" + base + SegmentName.recoveredSuffix }
}
