/// `GET /api/v1/latest?symbol=`: the latest tick store's entry of one symbol: the last
/// bookTicker, trade and mark price, and the synced book's top with its update id. A part
/// not seen yet is null. Read from the seqlock (``LatestTickStore/read(_:)``): consistent,
/// and the book thread never waits for it.
extension ServeAPI {
    func latest(_ view: ServeAPIView, _ request: ServeRequest) throws(ServeAPIError) -> JSONValue {
        let symbol = try ServeAPIParameters.symbol(request)
        _ = try view.carrying(symbol)
        let tick = view.books.flatMap { books in books.ticks.slot(for: symbol).map { books.ticks.read($0) } } ?? LatestTick()
        let d = ServeAPIJSON.decimal
        let bookTicker: JSONValue =
            tick.bookTickerUpdateID == 0 && tick.bidPrice.isZero && tick.askPrice.isZero
            ? .null
            : .object([
                ("updateId", .int(tick.bookTickerUpdateID)), ("bidPrice", d(tick.bidPrice)), ("bidQty", d(tick.bidQuantity)),
                ("askPrice", d(tick.askPrice)), ("askQty", d(tick.askQuantity)),
            ])
        let trade: JSONValue =
            tick.tradeTime == 0 && tick.tradeID == 0
            ? .null
            : .object([
                ("id", .int(tick.tradeID)), ("price", d(tick.tradePrice)), ("qty", d(tick.tradeQuantity)), ("time", .int(tick.tradeTime)),
            ])
        let mark: JSONValue =
            tick.markTime == 0 && tick.markPrice.isZero ? .null : .object([("price", d(tick.markPrice)), ("time", .int(tick.markTime))])
        let top: JSONValue =
            tick.bookUpdateID == 0
            ? .null
            : .object([
                ("lastUpdateId", .int(tick.bookUpdateID)), ("bidPrice", d(tick.topBidPrice)), ("bidQty", d(tick.topBidQuantity)),
                ("askPrice", d(tick.topAskPrice)), ("askQty", d(tick.topAskQuantity)),
            ])
        return .object([
            ("symbol", .string(symbol)), ("bookTicker", bookTicker), ("trade", trade), ("markPrice", mark), ("bookTop", top),
            ("version", .int(Int64(truncatingIfNeeded: tick.version))),
        ])
    }
}
