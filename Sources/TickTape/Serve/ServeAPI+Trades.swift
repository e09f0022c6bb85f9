/// `GET /api/v1/trades?symbol=&limit=`: the symbol's latest trades (default 20, at most
/// ``RecentTrades/capacity``), newest first, with the exchange's digits. Read from
/// ``RecentTrades`` under its per-symbol mutex: one short copy, never an allocation on the
/// book thread's side.
extension ServeAPI {
    func trades(_ view: ServeAPIView, _ request: ServeRequest) throws(ServeAPIError) -> JSONValue {
        let symbol = try ServeAPIParameters.symbol(request)
        let limit = try ServeAPIParameters.integer(request, "limit", in: 1...RecentTrades.capacity, default: 20)
        _ = try view.carrying(symbol)
        let prints = view.books.flatMap { books in books.ticks.slot(for: symbol).map { books.trades.latest(slot: $0, limit: limit) } } ?? []
        let d = ServeAPIJSON.decimal
        return .object([
            ("symbol", .string(symbol)),
            (
                "trades",
                .array(
                    prints.map { p in
                        .object([
                            ("id", .int(p.id)), ("price", d(p.price)), ("qty", d(p.quantity)), ("time", .int(p.tradeTime)),
                            ("buyerIsMaker", .bool(p.buyerIsMaker)), ("aggregate", .bool(p.isAggregate)),
                        ])
                    })
            ),
        ])
    }
}
