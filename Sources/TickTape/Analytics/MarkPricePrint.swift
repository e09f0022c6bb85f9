/// One `markPriceUpdate` message (`<symbol>@markPrice`, `@markPrice@1s`), parsed without
/// allocating: the mark price `p` and its event time `E`.
package struct MarkPricePrint: Sendable, Equatable {
    package var price = FixedDecimal(mantissa: 0, scale: 0)
    package var eventTime: Int64 = 0

    package init() {}

    /// Parses `frame` (combined envelope or raw payload); false if it is not a mark price update.
    package mutating func parse(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count > 1 else { return false }
        self = MarkPricePrint()
        var cursor = JSONCursor(base: base, end: frame.count)
        var fields = 0
        return parseObject(&cursor, fields: &fields) && fields == 0b111
    }

    private mutating func parseObject(_ cursor: inout JSONCursor, fields: inout Int) -> Bool {
        cursor.readObject { c, key in
            let base = c.base
            if c.bytes(key, are: "data") { return self.parseObject(&c, fields: &fields) }
            guard key.count == 1 else { return c.skipValue() }
            switch base[key.lowerBound] {
            case UInt8(ascii: "e"):
                guard let v = c.readString() else { return false }
                if c.bytes(v, are: "markPriceUpdate") { fields |= 1 }
            case UInt8(ascii: "p"):
                guard let v = c.readString(), let d = FixedDecimal.parse(base + v.lowerBound, count: v.count) else { return false }
                self.price = d
                fields |= 2
            case UInt8(ascii: "E"):
                guard let v = c.readInteger() else { return false }
                self.eventTime = v
                fields |= 4
            default:
                return c.skipValue()
            }
            return true
        }
    }
}
