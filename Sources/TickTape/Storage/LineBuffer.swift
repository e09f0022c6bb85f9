/// A fixed block of memory the merger fills with capture lines and the writer drains.
///
/// Buffers cycle between the merger and the segment writer through two rings, so the steady
/// state allocates nothing. A buffer only ever holds whole lines: rotation and crash recovery
/// can cut between buffers without tearing a line.
///
/// `@unchecked Sendable`: a buffer has one owner at a time (merger, then writer), handed over through an SPSC ring.
package final class LineBuffer: @unchecked Sendable {
    package let capacity: Int
    let base: UnsafeMutableRawPointer
    /// Bytes used.
    @exclusivity(unchecked) package internal(set) var count = 0
    /// Lines held.
    @exclusivity(unchecked) package internal(set) var lines = 0
    /// Receive stamp of the first and last line.
    @exclusivity(unchecked) package internal(set) var firstReceivedAt: Int64 = 0
    @exclusivity(unchecked) package internal(set) var lastReceivedAt: Int64 = 0
    /// What the merger counted per stream (holes, late copies) while this buffer was being
    /// filled; it travels with the lines so the segment holding them can report it. Empty (and
    /// never allocated) unless something was counted.
    var merge: [String: StreamMergeCounts] = [:]

    /// `package` (like ``append(receivedAt:payload:)`` and ``reset()``): for the hot-path microbenchmarks.
    package init(capacity: Int) {
        self.capacity = capacity
        self.base = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { base.deallocate() }

    /// Bytes a line needs: up to 19 digits, a space, the payload and a newline.
    static func lineSize(payloadCount: Int) -> Int { payloadCount + 21 }

    /// Appends `<receivedAt> <payload>\n`. Returns false if it does not fit.
    ///
    /// A newline or carriage return inside the payload (legal JSON whitespace, never sent by
    /// Binance) would split the line; such bytes are replaced by spaces, which keeps the JSON
    /// equivalent and every line parseable.
    package func append(receivedAt: Int64, payload: UnsafeRawBufferPointer) -> Bool {
        guard capacity - count >= Self.lineSize(payloadCount: payload.count) else { return false }
        count += Self.writeLine(at: base + count, receivedAt: receivedAt, payload: payload)
        if lines == 0 { firstReceivedAt = receivedAt }
        lastReceivedAt = receivedAt
        lines += 1
        return true
    }

    /// Inserts `<receivedAt> <payload>\n` at byte `offset` (the start of a line, or ``count``),
    /// moving the lines after it up. Returns the inserted line's length, or nil if it does not fit.
    /// The caller (the merger's ``OpenLines``) keeps the receive-stamp bounds.
    func insert(receivedAt: Int64, payload: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        precondition(offset >= 0 && offset <= count)
        let length = Self.digitCount(receivedAt) + payload.count + 2
        guard capacity - count >= length else { return nil }
        if offset < count { (base + offset + length).copyMemory(from: base + offset, byteCount: count - offset) }
        _ = Self.writeLine(at: base + offset, receivedAt: receivedAt, payload: payload)
        count += length
        lines += 1
        return length
    }

    /// Moves the bytes from `offset` to the end (`lineCount` whole lines) to the end of `other`.
    /// Returns false, changing nothing, if `other` has no room.
    func moveTail(from offset: Int, lineCount: Int, to other: LineBuffer) -> Bool {
        let n = count - offset
        guard n >= 0, other.capacity - other.count >= n else { return false }
        (other.base + other.count).copyMemory(from: base + offset, byteCount: n)
        other.count += n
        other.lines += lineCount
        count = offset
        lines -= lineCount
        return true
    }

    /// Decimal digits of a non-negative stamp (negative stamps are written as 0).
    @inline(__always)
    static func digitCount(_ receivedAt: Int64) -> Int {
        var v = UInt64(max(receivedAt, 0))
        var n = 1
        while v >= 10 {
            v /= 10
            n += 1
        }
        return n
    }

    /// Writes one line at `p`; returns its length.
    @inline(__always)
    private static func writeLine(at start: UnsafeMutableRawPointer, receivedAt: Int64, payload: UnsafeRawBufferPointer) -> Int {
        var p = start
        // Decimal digits of a non-negative stamp, written back to front.
        var digits: (UInt64, Int) = (UInt64(max(receivedAt, 0)), 0)
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { tmp in
            var v = digits.0
            var n = 0
            repeat {
                tmp[23 - n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1
            } while v != 0
            digits.1 = n
            p.copyMemory(from: tmp.baseAddress! + (24 - n), byteCount: n)
        }
        p += digits.1
        p.storeBytes(of: UInt8(ascii: " "), as: UInt8.self)
        p += 1
        if let src = payload.baseAddress, payload.count > 0 {
            p.copyMemory(from: src, byteCount: payload.count)
            let bytes = p.assumingMemoryBound(to: UInt8.self)
            if memchrNewline(bytes, payload.count) {
                for i in 0..<payload.count where bytes[i] == 0x0A || bytes[i] == 0x0D { bytes[i] = 0x20 }
            }
        }
        p += payload.count
        p.storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self)
        p += 1
        return p - start
    }

    /// Empties the buffer for reuse.
    package func reset() {
        count = 0
        lines = 0
        firstReceivedAt = 0
        lastReceivedAt = 0
        if !merge.isEmpty { merge = [:] }
    }

    /// The filled part.
    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func memchrNewline(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    memchr(p, 0x0A, n) != nil || memchr(p, 0x0D, n) != nil
}
