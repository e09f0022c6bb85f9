/// One trade from a `trade` or `aggTrade` payload (envelope or raw), parsed without
/// allocating: what bars and the latest-tick store need.
package struct TradePrint: Sendable, Equatable {
    package var symbol = ShortName()
    package var price = FixedDecimal(mantissa: 0, scale: 0)
    package var quantity = FixedDecimal(mantissa: 0, scale: 0)
    /// `T`: trade time, the clock bars are closed on.
    package var tradeTime: Int64 = 0
    /// `t` (trade) or `a` (aggTrade).
    package var id: Int64 = 0
    /// `m`: the buyer is the maker, i.e. the seller took liquidity. `false` is a taker buy.
    package var buyerIsMaker = false
    /// USD-M `X`: false for `INSURANCE_FUND`, `ADL` and `NA` prints, which are not market
    /// trades (Binance's klines leave them out); true when absent (spot, aggTrade).
    package var isMarketTrade = true
    /// `aggTrade` rather than `trade`.
    package var isAggregate = false

    package init() {}

    /// Parses `frame`; false if it is not a trade or aggTrade.
    package mutating func parse(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count > 1 else { return false }
        self = TradePrint()
        var cursor = JSONCursor(base: base, end: frame.count)
        var isTrade = false
        var fields = 0
        let ok = parseObject(&cursor, isTrade: &isTrade, fields: &fields)
        return ok && isTrade && fields == 0b1111
    }

    private mutating func parseObject(_ cursor: inout JSONCursor, isTrade: inout Bool, fields: inout Int) -> Bool {
        cursor.readObject { c, key in
            let base = c.base
            if c.bytes(key, are: "data") { return self.parseObject(&c, isTrade: &isTrade, fields: &fields) }
            guard key.count == 1 else { return c.skipValue() }
            switch base[key.lowerBound] {
            case UInt8(ascii: "e"):
                guard let v = c.readString() else { return false }
                if c.bytes(v, are: "trade") {
                    isTrade = true
                } else if c.bytes(v, are: "aggTrade") {
                    isTrade = true
                    self.isAggregate = true
                }
            case UInt8(ascii: "s"):
                guard let v = c.readString() else { return false }
                self.symbol = ShortName(base + v.lowerBound, count: v.count, uppercase: true)
            case UInt8(ascii: "p"):
                guard let v = c.readString(), let d = FixedDecimal.parse(base + v.lowerBound, count: v.count) else { return false }
                self.price = d
                fields |= 1
            case UInt8(ascii: "q"):
                guard let v = c.readString(), let d = FixedDecimal.parse(base + v.lowerBound, count: v.count) else { return false }
                self.quantity = d
                fields |= 2
            case UInt8(ascii: "T"):
                guard let v = c.readInteger() else { return false }
                self.tradeTime = v
                fields |= 4
            case UInt8(ascii: "m"):
                guard let v = c.readBool() else { return false }
                self.buyerIsMaker = v
                fields |= 8
            case UInt8(ascii: "t"), UInt8(ascii: "a"):
                // `a` is the aggTrade id here; a trade has no `a` (older spot trades had an
                // order id, also an integer; `t` comes later in those and wins).
                guard c.current != UInt8(ascii: "\"") else { return c.skipValue() }
                guard let v = c.readInteger() else { return false }
                if base[key.lowerBound] == UInt8(ascii: "t") || self.isAggregate { self.id = v }
            case UInt8(ascii: "X"):
                guard let v = c.readString() else { return false }
                self.isMarketTrade = c.bytes(v, are: "MARKET")
            default:
                return c.skipValue()
            }
            return true
        }
    }
}
