/// A contiguous run of lines the merger had to drop because every write buffer was taken
/// (the disk has been failing for longer than `max_buffered` could bridge).
///
/// Dropped lines were already accepted as "emitted" by the stream sequencers, so no sequence
/// gap will ever name them; this span is what puts them in the gap ledger (cause `storage`).
/// It lives on the merger thread and costs nothing until a line is dropped.
struct StorageDropSpan {
    private(set) var lines = 0
    private(set) var firstDroppedAt: Int64 = 0
    private(set) var lastDroppedAt: Int64 = 0
    private var order: [String] = []
    private var ranges: [String: GapStreamRange] = [:]

    /// Whether lines have been dropped since the span was last closed.
    var isOpen: Bool { lines > 0 }

    /// Records one dropped line.
    mutating func add(receivedAt: Int64, stream: String, id: Int64?) {
        if lines == 0 { firstDroppedAt = receivedAt }
        lastDroppedAt = receivedAt
        lines += 1
        if var range = ranges[stream] {
            range.count += 1
            if let id {
                range.firstID = min(range.firstID ?? id, id)
                range.lastID = max(range.lastID ?? id, id)
            }
            ranges[stream] = range
        } else {
            order.append(stream)
            ranges[stream] = GapStreamRange(stream: stream, firstID: id, lastID: id, count: 1)
        }
    }

    /// The ledger entry for the span so far, and a fresh span.
    mutating func close(detectedAt: Int64, connectionsUp: Int) -> GapRecord {
        let streams = order.compactMap { ranges[$0] }
        let single = streams.count == 1 ? streams[0] : nil
        let record = GapRecord(
            stream: single?.stream ?? "*", firstMissing: single?.firstID ?? -1, lastMissing: single?.lastID ?? -1,
            detectedAt: detectedAt, cause: "storage", connectionsUp: connectionsUp, firstDroppedAt: firstDroppedAt,
            lastDroppedAt: lastDroppedAt, droppedLines: lines, streams: streams)
        self = StorageDropSpan()
        return record
    }
}
