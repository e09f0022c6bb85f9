import Synchronization

/// What a person glancing at a capture's storage wants besides the counters: the segment being
/// written now and the gap ledger's last entries, published by the writer for the status API
/// (and the status page).
///
/// The writer's own `current` file and the ledger are touched by its thread only; this keeps a
/// copy behind two mutexes taken once per segment opened or closed and once per gap recorded
/// (both rare next to the lines written), so a poll never reaches into the writer thread's
/// state and the write path pays nothing per line.
package final class SegmentWriterGlance: Sendable {
    /// How many ledger entries are kept for the status (the ledger file keeps them all).
    package static let recentGapLimit = 10

    private let openSegment = Mutex<String?>(nil)
    private let gaps = Mutex<[GapRecord]>([])

    package init() {}

    /// The file name (no directory) of the segment being written, nil between segments.
    package var openSegmentName: String? { openSegment.withLock { $0 } }

    /// The last ``recentGapLimit`` gaps recorded, oldest first.
    package var recentGaps: [GapRecord] { gaps.withLock { $0 } }

    func opened(path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        openSegment.withLock { $0 = name }
    }

    func closed() {
        openSegment.withLock { $0 = nil }
    }

    func recorded(_ gap: GapRecord) {
        gaps.withLock { list in
            list.append(gap)
            if list.count > Self.recentGapLimit { list.removeFirst(list.count - Self.recentGapLimit) }
        }
    }
}
