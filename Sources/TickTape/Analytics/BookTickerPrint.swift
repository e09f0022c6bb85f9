/// One `bookTicker` message, parsed without allocating: the best bid and ask and the book
/// update id `u` they belong to (USD-M and spot alike; spot's has no `e`).
package struct BookTickerPrint: Sendable, Equatable {
    package var updateID: Int64 = 0
    package var bidPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var bidQuantity = FixedDecimal(mantissa: 0, scale: 0)
    package var askPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var askQuantity = FixedDecimal(mantissa: 0, scale: 0)

    package init() {}

    /// Parses `frame` (combined envelope or raw payload); false if it is not a bookTicker.
    package mutating func parse(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count > 1 else { return false }
        self = BookTickerPrint()
        var cursor = JSONCursor(base: base, end: frame.count)
        var fields = 0
        return parseObject(&cursor, fields: &fields) && fields == 0b11111
    }

    private mutating func parseObject(_ cursor: inout JSONCursor, fields: inout Int) -> Bool {
        cursor.readObject { c, key in
            let base = c.base
            if c.bytes(key, are: "data") { return self.parseObject(&c, fields: &fields) }
            guard key.count == 1 else { return c.skipValue() }
            func decimal(_ bit: Int) -> FixedDecimal? {
                guard let v = c.readString(), let d = FixedDecimal.parse(base + v.lowerBound, count: v.count) else { return nil }
                fields |= bit
                return d
            }
            switch base[key.lowerBound] {
            case UInt8(ascii: "u"):
                guard let v = c.readInteger() else { return false }
                self.updateID = v
                fields |= 1
            case UInt8(ascii: "b"):
                guard let d = decimal(2) else { return false }
                self.bidPrice = d
            case UInt8(ascii: "B"):
                guard let d = decimal(4) else { return false }
                self.bidQuantity = d
            case UInt8(ascii: "a"):
                guard let d = decimal(8) else { return false }
                self.askPrice = d
            case UInt8(ascii: "A"):
                guard let d = decimal(16) else { return false }
                self.askQuantity = d
            default:
                return c.skipValue()
            }
            return true
        }
    }
}
