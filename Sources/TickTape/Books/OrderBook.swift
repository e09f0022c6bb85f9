/// A local price-level order book for one symbol: the bid and ask ``BookSide``s, the update id
/// it reflects, and the decimal scales its prices and quantities are kept at.
///
/// Why one scale per book: Binance writes every price of a symbol with the same number of
/// decimals (`"58123.10"` on USD-M BTCUSDT, `"61837.63000000"` on spot), and likewise every
/// quantity. The book adopts the scale of the first value it sees and stores plain `Int64`
/// mantissas, so comparisons are integer compares and ``depthJSON(limit:)`` prints the digits
/// Binance sent, trailing zeros included. A value with more decimals than the book holds
/// (a tick-size change) widens the scale of the whole book exactly; one with fewer is padded.
/// No `Double` is ever involved.
///
/// The book does no sequencing: ``BookSynchronizer`` decides what is applied.
package struct OrderBook: Sendable {
    package private(set) var bids: BookSide
    package private(set) var asks: BookSide
    /// The update id of the last snapshot or diff applied (`lastUpdateId`, then each `u`).
    package var lastUpdateID: Int64 = 0
    /// Decimals of every price mantissa (nil until the first level).
    package private(set) var priceScale: UInt8?
    /// Decimals of every quantity mantissa (nil until the first level).
    package private(set) var quantityScale: UInt8?
    /// Levels that could not be represented (more than 18 digits): skipped, counted.
    package private(set) var unrepresentable = 0

    /// An empty book with room for `levels` levels per side before it first allocates.
    package init(reservingLevels levels: Int = 8192) {
        bids = BookSide(isBid: true, reservingLevels: levels)
        asks = BookSide(isBid: false, reservingLevels: levels)
    }

    /// Removes every level (before a snapshot is loaded: levels of an old book must not
    /// survive a resync), keeping capacity and scales.
    package mutating func removeAll() {
        bids.removeAll()
        asks.removeAll()
        lastUpdateID = 0
    }

    /// Replaces the contents with `snapshot`.
    package mutating func load(_ snapshot: DepthSnapshot) {
        removeAll()
        for level in snapshot.bids { set(bid: true, level.price, level.quantity) }
        for level in snapshot.asks { set(bid: false, level.price, level.quantity) }
        lastUpdateID = snapshot.lastUpdateID
    }

    /// Replaces the contents with the levels of a full-levels message (partial depth).
    package mutating func load(levelsOf message: DepthDiff) {
        removeAll()
        apply(message)
    }

    /// Applies every level of `diff` (quantity 0 removes) and takes its `u` as the book's id.
    package mutating func apply(_ diff: DepthDiff) {
        for level in diff.bids { set(bid: true, level.price, level.quantity) }
        for level in diff.asks { set(bid: false, level.price, level.quantity) }
        lastUpdateID = diff.finalUpdateID
    }

    /// Sets one level; quantity 0 removes it (an absent level is no error).
    package mutating func set(bid: Bool, _ price: FixedDecimal, _ quantity: FixedDecimal) {
        guard let ps = priceScale, let qs = quantityScale, let p = price.mantissa(atScale: ps),
            let q = quantity.mantissa(atScale: qs)
        else { return setSlow(bid: bid, price, quantity) }
        if bid { bids.set(price: p, quantity: q) } else { asks.set(price: p, quantity: q) }
    }

    /// First level, or a value finer than the book's scale: adopt or widen the scale.
    mutating func setSlow(bid: Bool, _ price: FixedDecimal, _ quantity: FixedDecimal) {
        if priceScale == nil { priceScale = price.scale }
        if quantityScale == nil { quantityScale = quantity.scale }
        if price.scale > priceScale!, let f = widenFactor(from: priceScale!, to: price.scale) {
            bids.scalePrices(by: f)
            asks.scalePrices(by: f)
            priceScale = price.scale
        }
        if quantity.scale > quantityScale!, let f = widenFactor(from: quantityScale!, to: quantity.scale) {
            bids.scaleQuantities(by: f)
            asks.scaleQuantities(by: f)
            quantityScale = quantity.scale
        }
        guard let p = price.mantissa(atScale: priceScale!), let q = quantity.mantissa(atScale: quantityScale!) else {
            unrepresentable += 1
            return
        }
        if bid { bids.set(price: p, quantity: q) } else { asks.set(price: p, quantity: q) }
    }

    /// 10^(to−from), or nil past 18 decimals.
    private func widenFactor(from: UInt8, to: UInt8) -> Int64? {
        guard to <= FixedDecimal.maxScale else { return nil }
        return FixedDecimal.power(Int(to - from))
    }

    /// The best bid, if any.
    package var bestBid: PriceLevel? { top(bid: true, 0) }

    /// The best ask, if any.
    package var bestAsk: PriceLevel? { top(bid: false, 0) }

    /// Best bid ≥ best ask: the book cannot be right.
    package var isCrossed: Bool {
        guard bids.count > 0, asks.count > 0 else { return false }
        return bids.level(fromTop: 0).price >= asks.level(fromTop: 0).price
    }

    /// The level `depth` places from the top of a side (0 = best), or nil past the end.
    package func top(bid: Bool, _ depth: Int) -> PriceLevel? {
        let side = bid ? bids : asks
        guard depth < side.count, let ps = priceScale, let qs = quantityScale else { return nil }
        let l = side.level(fromTop: depth)
        return PriceLevel(price: FixedDecimal(mantissa: l.price, scale: ps), quantity: FixedDecimal(mantissa: l.quantity, scale: qs))
    }

    /// Up to `limit` levels of a side, best first.
    package func levels(bid: Bool, limit: Int = .max) -> [PriceLevel] {
        guard let ps = priceScale, let qs = quantityScale else { return [] }
        var out: [PriceLevel] = []
        out.reserveCapacity(min(limit, bid ? bids.count : asks.count))
        (bid ? bids : asks).forEachFromTop(limit: limit) { p, q in
            out.append(PriceLevel(price: FixedDecimal(mantissa: p, scale: ps), quantity: FixedDecimal(mantissa: q, scale: qs)))
        }
        return out
    }

    /// Appends `{"lastUpdateId":N,"bids":[["p","q"],…],"asks":[…]}`, Binance's depth shape,
    /// with at most `limit` levels per side.
    package func writeDepthJSON(limit: Int = .max, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"lastUpdateId":"#.utf8)
        out.append(contentsOf: String(lastUpdateID).utf8)
        out.append(UInt8(ascii: ","))
        writeSides(limit: limit, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `"bids":[["p","q"],…],"asks":[…]` (or under `bidsKey`/`asksKey`: partial-depth
    /// streams on USD-M say `"b"`/`"a"`), at most `limit` levels per side.
    package func writeSides(limit: Int, bidsKey: String = "bids", asksKey: String = "asks", into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: bidsKey.utf8)
        out.append(contentsOf: #"":["#.utf8)
        writeSide(bids, limit: limit, into: &out)
        out.append(contentsOf: #"],""#.utf8)
        out.append(contentsOf: asksKey.utf8)
        out.append(contentsOf: #"":["#.utf8)
        writeSide(asks, limit: limit, into: &out)
        out.append(UInt8(ascii: "]"))
    }

    private func writeSide(_ side: BookSide, limit: Int, into out: inout [UInt8]) {
        guard let ps = priceScale, let qs = quantityScale else { return }
        var first = true
        side.forEachFromTop(limit: limit) { p, q in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: #"[""#.utf8)
            FixedDecimal.write(mantissa: p, scale: ps, into: &out)
            out.append(contentsOf: #"",""#.utf8)
            FixedDecimal.write(mantissa: q, scale: qs, into: &out)
            out.append(contentsOf: #""]"#.utf8)
        }
    }

    /// The book as Binance's depth JSON, at most `limit` levels per side.
    package func depthJSON(limit: Int = .max) -> String {
        var out: [UInt8] = []
        writeDepthJSON(limit: limit, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
