/// `GET /api/v1/book?symbol=&depth=&market=`: a local book's top `depth` levels per side
/// (default 20, at most 5000) with its `lastUpdateId`, from the book thread
/// (``BookService/requestDepth(symbol:market:limit:answer:)``), so the levels and the id are
/// one consistent state. `market` is needed only when both markets keep a book of the symbol.
extension ServeAPI {
    func book(_ view: ServeAPIView, _ request: ServeRequest, respond: @escaping @Sendable (ServeResponse) -> Void) throws(ServeAPIError) {
        let symbol = try ServeAPIParameters.symbol(request)
        let depth = try ServeAPIParameters.integer(request, "depth", in: 1...5000, default: 20)
        let asked = try ServeAPIParameters.market(request)
        let kept = try view.carrying(symbol).filter(\.book)
        let markets = Set(kept.map(\.market)).sorted { $0.rawValue < $1.rawValue }
        guard !markets.isEmpty else {
            throw ServeAPIError(404, "no local book is kept of '\(symbol)': no capture carries its diff depth with books on")
        }
        let market: BookMarket
        if let asked {
            guard markets.contains(asked) else {
                let kept = markets.map(\.rawValue).joined(separator: ", ")
                throw ServeAPIError(404, "no local book of '\(symbol)' in market '\(asked.rawValue)'; it is kept in \(kept)")
            }
            market = asked
        } else {
            guard markets.count == 1 else {
                throw ServeAPIError(400, "parameter 'market' is required: '\(symbol)' has a book in both usdm and spot")
            }
            market = markets[0]
        }
        guard let books = view.books else { throw ServeAPIError(404, "no local book is kept of '\(symbol)'") }
        books.requestDepth(symbol: symbol, market: market, limit: depth) { answer in
            switch answer {
            case .book(let body):
                var out = Array(#"{"symbol":"#.utf8)
                out += JSONValue.string(symbol).compact.utf8
                out += #","market":""#.utf8
                out += market.rawValue.utf8
                out += #"","depth":"#.utf8
                out += String(depth).utf8
                out.append(UInt8(ascii: ","))
                // The book thread's body is a JSON object: its members follow ours.
                out += body.dropFirst()
                respond(ServeResponse(status: 200, body: out))
            case .unknownSymbol:
                respond(.error(404, "no local book is kept of '\(symbol)' in market '\(market.rawValue)'"))
            case .notSynced:
                var r = ServeResponse.error(503, "the book of '\(symbol)' (\(market.rawValue)) is synchronising; retry shortly")
                r.headers = [("Retry-After", "1")]
                respond(r)
            }
        }
    }
}
