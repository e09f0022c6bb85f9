/// One segment of a capture as the replay sees it: the data file to read and, when sealed,
/// its manifest (the index: time span and streams, so segments outside a request are never
/// opened).
struct ReplaySegment: Sendable {
    /// `<capture>-<UTC start>-<nnn>`: name order is time order within a capture.
    var base: String
    /// The data file: `.tape.gz` when sealed, else `.tape` or `.tape.open`.
    var path: String
    /// Nil for a segment not sealed yet (open, or waiting for the sealer).
    var manifest: SegmentManifest?
    /// The segment's opening time from its name (`CLOCK_REALTIME` ns).
    var openedAt: Int64?

    /// Whether the segment may hold a line received in `from...to` (always true without a manifest).
    func mayOverlap(from: Int64, to: Int64) -> Bool {
        guard let manifest else { return true }
        guard let first = manifest.firstReceivedAt, let last = manifest.lastReceivedAt else { return false }
        return last >= from && first <= to
    }

    /// Whether the segment may hold a line of one of `streams` (always true without a manifest).
    func mayCarry(_ streams: Set<String>) -> Bool {
        guard let manifest else { return true }
        return manifest.streams.contains { streams.contains($0.name) }
    }
}
