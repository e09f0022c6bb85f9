/// A forward-only reader over the bytes of one JSON text, for the few fixed shapes the book
/// engine parses (depth diffs, depth snapshots, trades).
///
/// Why not `JSONDecoder`: it builds `String`s and dictionaries for every message, which the
/// book's hot path cannot afford; this cursor hands back byte ranges and integers and never
/// allocates. It is strict where the shapes are fixed and skips any value it does not need,
/// so new Binance fields do not break it.
struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    var position: Int

    init(base: UnsafePointer<UInt8>, start: Int = 0, end: Int) {
        self.base = base
        self.position = start
        self.end = end
    }

    var current: UInt8? { position < end ? base[position] : nil }

    mutating func skipWhitespace() {
        while position < end {
            let c = base[position]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            position += 1
        }
    }

    /// Consumes `byte` (after whitespace) if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < end, base[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string's contents (no escapes expected in the fields read; an escape is skipped over).
    mutating func readString() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < end {
            let c = base[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            position += c == UInt8(ascii: "\\") ? 2 : 1
        }
        return nil
    }

    /// A JSON integer.
    mutating func readInteger() -> Int64? {
        skipWhitespace()
        var negative = false
        if position < end, base[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let start = position
        var v: Int64 = 0
        while position < end {
            let d = base[position] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = s
            position += 1
        }
        guard position > start else { return nil }
        return negative ? -v : v
    }

    /// `true` or `false`.
    mutating func readBool() -> Bool? {
        skipWhitespace()
        if matches("true") {
            position += 4
            return true
        }
        if matches("false") {
            position += 5
            return false
        }
        return nil
    }

    /// Whether the bytes at the position spell `literal`.
    func matches(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - position >= n else { return false }
        let p = literal.utf8Start
        for i in 0..<n where base[position + i] != p[i] { return false }
        return true
    }

    /// Whether the bytes in `range` spell `literal`.
    func bytes(_ range: Range<Int>, are literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard range.count == n else { return false }
        let p = literal.utf8Start
        for i in 0..<n where base[range.lowerBound + i] != p[i] { return false }
        return true
    }

    /// Whether the bytes in `range` contain `literal`.
    func bytes(_ range: Range<Int>, contain literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard range.count >= n else { return false }
        let p = literal.utf8Start
        var s = range.lowerBound
        outer: while s + n <= range.upperBound {
            for i in 0..<n where base[s + i] != p[i] {
                s += 1
                continue outer
            }
            return true
        }
        return false
    }

    /// Skips one value of any type.
    mutating func skipValue() -> Bool {
        skipWhitespace()
        guard let c = current else { return false }
        switch c {
        case UInt8(ascii: "\""):
            return readString() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while position < end {
                let b = base[position]
                if b == UInt8(ascii: "\"") {
                    guard readString() != nil else { return false }
                    continue
                }
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        position += 1
                        return true
                    }
                }
                position += 1
            }
            return false
        default:
            // Number, true, false, null.
            let start = position
            while position < end {
                let b = base[position]
                if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 { break }
                position += 1
            }
            return position > start
        }
    }

    /// Reads `[["p","q"],…]`, calling `body` with each pair parsed as decimals.
    mutating func readLevels(_ body: (FixedDecimal, FixedDecimal) -> Void) -> Bool {
        guard consume(UInt8(ascii: "[")) else { return false }
        if consume(UInt8(ascii: "]")) { return true }
        repeat {
            guard consume(UInt8(ascii: "[")), let p = readString(), consume(UInt8(ascii: ",")), let q = readString()
            else { return false }
            // Tolerate extra elements (older spot payloads carried a third, ignored, element).
            while consume(UInt8(ascii: ",")) { guard skipValue() else { return false } }
            guard consume(UInt8(ascii: "]")),
                let price = FixedDecimal.parse(base + p.lowerBound, count: p.count),
                let qty = FixedDecimal.parse(base + q.lowerBound, count: q.count)
            else { return false }
            body(price, qty)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]"))
    }

    /// Walks the members of an object, calling `member` with each key; `member` must consume
    /// the value (or return false to fail). An unknown key should be skipped with
    /// ``skipValue()``.
    mutating func readObject(_ member: (inout JSONCursor, Range<Int>) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = readString(), consume(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }
}
