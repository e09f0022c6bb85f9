/// What a segment contains, counted line by line: records, bytes, receive-stamp span and,
/// per stream, the count, first and last sequence id and the lines that arrived out of order.
///
/// The sealer builds the manifest with it and `ticktape verify` recomputes it from the data
/// file, so both sides use the same reading of a line: `<digits> <frame>`, the frame scanned by
/// the merger's own ``FrameScanner`` and ``SequenceRule`` so stream names and ids are exactly
/// the ones the merger sequenced by.
package struct SegmentTally: Sendable {
    /// One stream's part of the segment.
    package struct Stream: Sendable, Equatable {
        package var name: String
        package var rule: String
        package var count = 0
        package var firstID: Int64?
        package var lastID: Int64?
        /// Highest id seen so far (ids are compared against it to spot late lines).
        package var maxID: Int64?
        /// Lines whose id is not above every id before them (emitted late, `late_policy =
        /// "emit"`); with the default policy always 0.
        package var lateLines = 0
        package var firstReceivedAt: Int64 = 0
        package var lastReceivedAt: Int64 = 0
    }

    package private(set) var records = 0
    package private(set) var bytes: Int64 = 0
    package private(set) var firstReceivedAt: Int64?
    package private(set) var lastReceivedAt: Int64?
    package private(set) var streams: [Stream] = []
    /// Lines that are not `<digits> <market-data frame>` (1-based line numbers, first 20).
    package private(set) var malformedLines: [Int] = []
    package private(set) var malformedCount = 0
    private var index: [String: Int] = [:]
    private var lastKey: [UInt8] = []
    private var lastStream = -1

    package init() {}

    /// Counts one line (without its newline). Returns false, and counts nothing but the
    /// line number, if the line is malformed.
    @discardableResult
    package mutating func add(line: UnsafeRawBufferPointer) -> Bool {
        let lineNumber = records + malformedCount + 1
        guard let (stamp, frameStart) = Self.parseStamp(line) else {
            noteMalformed(lineNumber)
            return false
        }
        let frameBytes = UnsafeRawBufferPointer(rebasing: line[frameStart...])
        let scanned = FrameScanner.scan(frameBytes)
        guard scanned.kind == .data else {
            noteMalformed(lineNumber)
            return false
        }
        let rule = SequenceRule.classify(scanned, in: frameBytes)
        let s = streamIndex(scanned, rule: rule, bytes: frameBytes)
        records += 1
        bytes += Int64(line.count + 1)
        if firstReceivedAt == nil { firstReceivedAt = stamp }
        lastReceivedAt = stamp
        streams[s].count += 1
        if streams[s].count == 1 { streams[s].firstReceivedAt = stamp }
        streams[s].lastReceivedAt = stamp
        if let id = rule.sequenceID(of: scanned) {
            if streams[s].firstID == nil { streams[s].firstID = id }
            streams[s].lastID = id
            if let max = streams[s].maxID, id <= max {
                streams[s].lateLines += 1
            } else {
                streams[s].maxID = id
            }
        }
        return true
    }

    private mutating func noteMalformed(_ line: Int) {
        malformedCount += 1
        if malformedLines.count < 20 { malformedLines.append(line) }
    }

    /// `<1-19 digits> ` at the start of a line: the stamp and where the frame starts.
    static func parseStamp(_ line: UnsafeRawBufferPointer) -> (Int64, Int)? {
        var v: Int64 = 0
        var i = 0
        while i < line.count, i < 20 {
            let b = line[i]
            if b == UInt8(ascii: " ") { break }
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v &* 10 &+ Int64(b - 0x30)
            i += 1
        }
        guard i > 0, i < 20, i < line.count, line[i] == UInt8(ascii: " "), i + 1 < line.count else { return nil }
        return (v, i + 1)
    }

    private mutating func streamIndex(_ frame: ScannedFrame, rule: SequenceRule, bytes: UnsafeRawBufferPointer) -> Int {
        // Lines of one stream come in runs; compare the raw key before building a name.
        // Only the combined-stream name identifies a stream by itself; raw frames are named in full.
        let keyRange = frame.stream
        if let keyRange, lastStream >= 0, bytes[keyRange].elementsEqual(lastKey) {
            return lastStream
        }
        let name = StreamName.of(frame, rule: rule, in: bytes)
        let s: Int
        if let existing = index[name] {
            s = existing
        } else {
            s = streams.count
            index[name] = s
            streams.append(Stream(name: name, rule: "\(rule)"))
        }
        lastKey = keyRange.map { Array(bytes[$0]) } ?? []
        lastStream = keyRange == nil ? -1 : s
        return s
    }
}

/// Splits a byte stream into lines for a ``SegmentTally`` (or anything else), carrying a
/// partial line from one chunk to the next.
package struct LineSplitter {
    private var carry: [UInt8] = []

    package init() {}

    /// Bytes held after the last newline so far: at the end of input, an incomplete last line.
    package var pending: Int { carry.count }

    /// Calls `body` with each complete line in `chunk` (without the newline).
    package mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var start = 0
        var i = 0
        let n = chunk.count
        guard let base = chunk.baseAddress else { return }
        while i < n {
            guard let hit = memchr(base + i, 0x0A, n - i) else { break }
            let end = base.distance(to: UnsafeRawPointer(hit))
            if carry.isEmpty {
                try body(UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
            } else {
                carry.append(contentsOf: chunk[start..<end])
                try carry.withUnsafeBytes { try body($0) }
                carry.removeAll(keepingCapacity: true)
            }
            start = end + 1
            i = start
        }
        if start < n { carry.append(contentsOf: chunk[start..<n]) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
