/// The few fields of a Binance frame that the merger needs, located without a JSON decode.
///
/// Offsets are byte ranges into the scanned frame, so no `String` is built per message.
/// Numeric ids are parsed only when the value is a JSON integer: the same letter means
/// different things in different payloads (`"a"` is the ask price in `bookTicker` but the
/// aggregate trade id in `aggTrade`).
package struct ScannedFrame: Sendable, Equatable {
    /// What the frame is, as far as capture is concerned.
    package enum Kind: Sendable, Equatable {
        /// Market data to be merged and written.
        case data
        /// A reply to a control request (`{"result":…,"id":…}` or `{"error":…,"id":…}`).
        case controlReply
        /// Not a JSON object we can read; counted and skipped.
        case malformed
    }

    package var kind: Kind = .malformed
    /// `stream` of a combined-stream envelope.
    package var stream: Range<Int>? = nil
    /// `e`, the event type.
    package var eventType: Range<Int>? = nil
    /// `s`, the symbol.
    package var symbol: Range<Int>? = nil
    /// `E`, event time in exchange units (ms, or µs with `timeUnit=MICROSECOND`).
    package var eventTime: Int64? = nil
    /// `T`, transaction time.
    package var transactionTime: Int64? = nil
    /// `u`: book update id (bookTicker) or final update id (depth).
    package var updateID: Int64? = nil
    /// `U`: first update id of a depth event.
    package var firstUpdateID: Int64? = nil
    /// `pu`: previous event's final update id (USD-M depth).
    package var previousUpdateID: Int64? = nil
    /// `t`: trade id.
    package var tradeID: Int64? = nil
    /// `a` when it is an integer: aggregate trade id.
    package var aggregateTradeID: Int64? = nil
    /// `lastUpdateId`: spot partial depth snapshots.
    package var lastUpdateID: Int64? = nil
    /// Whether a `b` field was present.
    package var hasBid = false
    /// Whether a non-integer `a` field was present.
    package var hasAsk = false
    /// Whether `b` and `a` were present: marks a book ticker when `e` is absent (spot).
    package var hasBidAndAsk: Bool { hasBid && hasAsk }
    /// Whether `error` was present in a control reply.
    package var isError = false

    package init() {}
}

/// Scans Binance WebSocket frames (raw payloads and combined-stream envelopes).
///
/// The scanner walks the top-level object once, descends into `data` one level, and skips
/// every other value (including the large `b`/`a` arrays of depth events) by structure.
/// It never traps on malformed input: anything unexpected yields ``ScannedFrame/Kind/malformed``.
package enum FrameScanner {
    /// Scans `bytes` (one WebSocket text frame).
    @inlinable
    package static func scan(_ bytes: UnsafeRawBufferPointer) -> ScannedFrame {
        var out = ScannedFrame()
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 1 else { return out }
        var cursor = Cursor(base: base, end: bytes.count)
        var hasResult = false
        var hasID = false
        cursor.skipWhitespace()
        if cursor.current == UInt8(ascii: "[") {
            // Array streams (`!markPrice@arr`) carry no single id: merged by content.
            guard cursor.skipValue() else { return out }
            cursor.skipWhitespace()
            if cursor.position == cursor.end { out.kind = .data }
            return out
        }
        guard scanObject(&cursor, into: &out, nested: false, hasResult: &hasResult, hasID: &hasID) else {
            return out
        }
        cursor.skipWhitespace()
        guard cursor.position == cursor.end else { return out }
        if (hasResult || out.isError) && hasID && out.stream == nil && out.eventType == nil {
            out.kind = .controlReply
        } else {
            out.kind = .data
        }
        return out
    }

    @usableFromInline
    struct Cursor {
        @usableFromInline let base: UnsafePointer<UInt8>
        @usableFromInline let end: Int
        @usableFromInline var position = 0

        @inlinable init(base: UnsafePointer<UInt8>, end: Int) {
            self.base = base
            self.end = end
        }

        @inlinable var current: UInt8? { position < end ? base[position] : nil }

        @inlinable mutating func skipWhitespace() {
            while position < end {
                let c = base[position]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 } else { return }
            }
        }

        @inlinable mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            if position < end && base[position] == byte {
                position += 1
                return true
            }
            return false
        }

        /// Reads a string starting at `"`; returns the range of its raw content.
        @inlinable mutating func readString() -> Range<Int>? {
            guard position < end, base[position] == UInt8(ascii: "\"") else { return nil }
            position += 1
            let start = position
            while position < end {
                let c = base[position]
                if c == UInt8(ascii: "\"") {
                    let range = start..<position
                    position += 1
                    return range
                }
                if c == UInt8(ascii: "\\") { position += 2 } else if c < 0x20 { return nil } else { position += 1 }
            }
            return nil
        }

        /// Reads a JSON integer, or returns nil (leaving the cursor) if the value is not one.
        @inlinable mutating func readInteger() -> Int64? {
            var p = position
            var negative = false
            if p < end && base[p] == UInt8(ascii: "-") {
                negative = true
                p += 1
            }
            let digitsStart = p
            var value: Int64 = 0
            // 18 digits cannot overflow Int64, so only a 19th pays for checked arithmetic
            // (ids and millisecond stamps have 9 to 13).
            while p < end {
                let d = base[p] &- UInt8(ascii: "0")
                if d > 9 { break }
                if p &- digitsStart < 18 {
                    value = value &* 10 &+ Int64(d)
                } else {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int64(d))
                    if o1 || o2 { return nil }
                    value = s
                }
                p += 1
            }
            if p == digitsStart { return nil }
            if p < end {
                let c = base[p]
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { return nil }
            }
            position = p
            return negative ? -value : value
        }

        /// Skips one JSON value of any type. Returns false on malformed input.
        @inlinable mutating func skipValue() -> Bool {
            skipWhitespace()
            guard position < end else { return false }
            let c = base[position]
            switch c {
            case UInt8(ascii: "\""):
                return readString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < end {
                    let b = base[position]
                    switch b {
                    case UInt8(ascii: "\""):
                        if readString() == nil { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                        if depth > 64 { return false }
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            position += 1
                            return true
                        }
                    default:
                        break
                    }
                    position += 1
                }
                return false
            default:
                // number, true, false, null: run to the next delimiter.
                let start = position
                while position < end {
                    let b = base[position]
                    if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20
                        || b == 0x0A || b == 0x0D || b == 0x09
                    {
                        break
                    }
                    position += 1
                }
                return position > start
            }
        }

        @inlinable func keyIs(_ key: Range<Int>, _ literal: StaticString) -> Bool {
            guard key.count == literal.utf8CodeUnitCount else { return false }
            let l = literal.utf8Start
            for i in 0..<key.count where base[key.lowerBound + i] != l[i] { return false }
            return true
        }
    }

    @inlinable
    static func scanObject(
        _ cursor: inout Cursor,
        into out: inout ScannedFrame,
        nested: Bool,
        hasResult: inout Bool,
        hasID: inout Bool
    ) -> Bool {
        guard cursor.consume(UInt8(ascii: "{")) else { return false }
        if cursor.consume(UInt8(ascii: "}")) { return true }
        while true {
            cursor.skipWhitespace()
            guard let key = cursor.readString(), cursor.consume(UInt8(ascii: ":")) else { return false }
            cursor.skipWhitespace()
            if !scanField(key, &cursor, into: &out, nested: nested, hasResult: &hasResult, hasID: &hasID) {
                return false
            }
            if cursor.consume(UInt8(ascii: ",")) { continue }
            if cursor.consume(UInt8(ascii: "}")) { return true }
            return false
        }
    }

    @inlinable
    static func scanField(
        _ key: Range<Int>,
        _ cursor: inout Cursor,
        into out: inout ScannedFrame,
        nested: Bool,
        hasResult: inout Bool,
        hasID: inout Bool
    ) -> Bool {
        let isString = cursor.current == UInt8(ascii: "\"")
        switch key.count {
        case 1:
            switch cursor.base[key.lowerBound] {
            case UInt8(ascii: "e"):
                if isString { out.eventType = cursor.readString(); return out.eventType != nil }
            case UInt8(ascii: "s"):
                if isString { out.symbol = cursor.readString(); return out.symbol != nil }
            case UInt8(ascii: "E"):
                if let v = cursor.readInteger() { out.eventTime = v; return true }
            case UInt8(ascii: "T"):
                if let v = cursor.readInteger() { out.transactionTime = v; return true }
            case UInt8(ascii: "u"):
                if let v = cursor.readInteger() { out.updateID = v; return true }
            case UInt8(ascii: "U"):
                if let v = cursor.readInteger() { out.firstUpdateID = v; return true }
            case UInt8(ascii: "t"):
                if let v = cursor.readInteger() { out.tradeID = v; return true }
            case UInt8(ascii: "a"):
                if let v = cursor.readInteger() {
                    out.aggregateTradeID = v
                    return true
                }
                out.hasAsk = true
            case UInt8(ascii: "b"):
                out.hasBid = true
            default:
                break
            }
        case 2:
            if cursor.keyIs(key, "pu"), let v = cursor.readInteger() {
                out.previousUpdateID = v
                return true
            }
            if !nested && cursor.keyIs(key, "id") { hasID = true }
        case 4:
            if !nested && cursor.keyIs(key, "data") && cursor.current == UInt8(ascii: "{") {
                var ignoredResult = false
                var ignoredID = false
                return scanObject(&cursor, into: &out, nested: true, hasResult: &ignoredResult, hasID: &ignoredID)
            }
        case 5:
            if !nested && cursor.keyIs(key, "error") { out.isError = true }
        case 6:
            if !nested {
                if cursor.keyIs(key, "stream") && isString {
                    out.stream = cursor.readString()
                    return out.stream != nil
                }
                if cursor.keyIs(key, "result") { hasResult = true }
            }
        case 12:
            if cursor.keyIs(key, "lastUpdateId"), let v = cursor.readInteger() {
                out.lastUpdateID = v
                return true
            }
        default:
            break
        }
        return cursor.skipValue()
    }
}
