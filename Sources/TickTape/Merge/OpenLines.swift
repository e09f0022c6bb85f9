/// The merger's unflushed lines: the open ``LineBuffer`` and an index of its lines.
///
/// The index (stream slot, id and receive stamp per line, 24 bytes) is what lets a late copy
/// be placed in id order among lines not yet handed to the writer, and lets a hand-over keep
/// the newest lines back for the copies that may still come for them. Owned by the merger
/// thread (a ``CaptureMerger`` holds one); the writer only ever sees buffers handed over.
final class OpenLines {
    struct Entry {
        var offset: Int32
        /// The stream's ``StreamSequencer/slot``.
        var slot: Int32
        var id: Int64
        var receivedAt: Int64
    }

    /// Where ``place(receivedAt:payload:slot:id:)`` put a late copy, or why it could not.
    enum Placement: Equatable {
        case placed
        /// No line of the stream above the id is in memory any more: its place was written.
        case written
        /// The buffer has no room; the caller may roll it over and try again.
        case full
    }

    @exclusivity(unchecked) private(set) var buffer: LineBuffer?
    @exclusivity(unchecked) private var index: [Entry] = []
    /// Monotonic ns when the oldest line still held arrived in this buffer.
    @exclusivity(unchecked) var startedAt: Int64 = 0

    init() {
        index.reserveCapacity(8192)
    }

    var lines: Int { index.count }

    /// Appends a line at the end; false if there is no buffer or it is full.
    @inline(__always)
    func append(receivedAt: Int64, payload: UnsafeRawBufferPointer, slot: Int, id: Int64) -> Bool {
        guard let b = buffer else { return false }
        let offset = b.count
        guard b.append(receivedAt: receivedAt, payload: payload) else { return false }
        index.append(Entry(offset: Int32(truncatingIfNeeded: offset), slot: Int32(truncatingIfNeeded: slot), id: id, receivedAt: receivedAt))
        return true
    }

    /// Puts a late copy before the first line of its stream with a higher id. The stream's lines
    /// in memory are ascending (every id above ``StreamSequencer/writtenThrough``), so the
    /// result is too. Scans back from the newest line: a late copy trails by milliseconds.
    func place(receivedAt: Int64, payload: UnsafeRawBufferPointer, slot: Int, id: Int64) -> Placement {
        guard let b = buffer else { return .written }
        let s = Int32(truncatingIfNeeded: slot)
        var at = -1
        var i = index.count - 1
        while i >= 0 {
            let e = index[i]
            if e.slot == s {
                if e.id < id { break }
                at = i
            }
            i -= 1
        }
        guard at >= 0 else { return .written }
        let offset = Int(index[at].offset)
        guard let length = b.insert(receivedAt: receivedAt, payload: payload, at: offset) else { return .full }
        index.insert(Entry(offset: Int32(offset), slot: s, id: id, receivedAt: receivedAt), at: at)
        let delta = Int32(length)
        var j = at + 1
        while j < index.count {
            index[j].offset &+= delta
            j += 1
        }
        b.firstReceivedAt = min(b.firstReceivedAt, receivedAt)
        b.lastReceivedAt = max(b.lastReceivedAt, receivedAt)
        return .placed
    }

    /// How many lines at the end arrived after `cutoff` (`CLOCK_REALTIME` ns) and fit in
    /// `maxBytes`: the tail a hand-over keeps back.
    func tailCount(newerThan cutoff: Int64, maxBytes: Int) -> Int {
        guard let b = buffer, maxBytes > 0 else { return 0 }
        var n = 0
        var i = index.count - 1
        while i >= 0, index[i].receivedAt > cutoff, b.count - Int(index[i].offset) <= maxBytes {
            n += 1
            i -= 1
        }
        return n
    }

    /// Bytes of the last `tail` lines.
    func tailBytes(_ tail: Int) -> Int {
        guard let b = buffer, tail > 0 else { return 0 }
        return b.count - Int(index[index.count - tail].offset)
    }

    /// Detaches the buffer for the writer, keeping its last `tail` lines: they move to `fresh`,
    /// which becomes the open buffer. `update` sees every handed-over line's stream and id (to
    /// advance ``StreamSequencer/writtenThrough``). Returns the buffer to hand over.
    func split(keeping tail: Int, into fresh: LineBuffer?, update: (Int32, Int64) -> Void) -> LineBuffer? {
        guard let b = buffer else {
            buffer = fresh
            return nil
        }
        var cut = index.count - (fresh == nil ? 0 : min(tail, index.count))
        if cut < index.count, let fresh {
            let offset = Int(index[cut].offset)
            if b.moveTail(from: offset, lineCount: index.count - cut, to: fresh) {
                for k in cut..<index.count { index[k].offset &-= Int32(offset) }
                (fresh.firstReceivedAt, fresh.lastReceivedAt) = stampBounds(cut..<index.count)
                (b.firstReceivedAt, b.lastReceivedAt) = stampBounds(0..<cut)
            } else {
                cut = index.count  // no room: everything goes
            }
        }
        for k in 0..<cut { update(index[k].slot, index[k].id) }
        index.removeFirst(cut)
        buffer = fresh
        return b
    }

    /// The smallest and largest receive stamp of the lines in `range` (placed late copies
    /// carry later stamps than their neighbours).
    private func stampBounds(_ range: Range<Int>) -> (Int64, Int64) {
        var bounds = (Int64.max, Int64.min)
        for k in range { bounds = (min(bounds.0, index[k].receivedAt), max(bounds.1, index[k].receivedAt)) }
        return bounds
    }
}
