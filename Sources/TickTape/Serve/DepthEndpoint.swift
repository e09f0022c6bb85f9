/// `GET /fapi/v1/depth` and `GET /api/v3/depth` answered from the local books, in Binance's
/// shape and with Binance's errors, so a client running Binance's snapshot-plus-diff
/// procedure against ticktape builds the same book, and the exchange's REST weight is spent
/// once per host.
struct DepthEndpoint: Sendable {
    let books: BookService?

    func answer(_ request: ServeRequest, market: BookMarket, respond: @escaping @Sendable (ServeResponse) -> Void) {
        let restMarket: RestMarket = market == .usdm ? .usdm : .spot
        guard let symbol = request.query["symbol"], !symbol.isEmpty else {
            respond(.binanceError(400, code: -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."))
            return
        }
        guard symbol.utf8.count <= 32, symbol.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) }) else {
            respond(.binanceError(400, code: -1100, "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."))
            return
        }
        var limit = market == .usdm ? 500 : 100
        if let text = request.query["limit"] {
            guard let n = Int(text), restMarket.snapshotWeight(limit: n) != nil else {
                let range = market == .usdm ? "5, 10, 20, 50, 100, 500, 1000" : "1 to 5000"
                respond(.binanceError(400, code: -1100, "Illegal characters found in parameter 'limit'; legal range is '\(range)'."))
                return
            }
            limit = n
        }
        guard let books else {
            respond(.binanceError(400, code: -1121, "Invalid symbol."))
            return
        }
        books.requestDepth(symbol: symbol, market: market, limit: limit) { answer in
            switch answer {
            case .book(let body):
                respond(ServeResponse(status: 200, body: body))
            case .unknownSymbol:
                respond(.binanceError(400, code: -1121, "Invalid symbol."))
            case .notSynced:
                respond(
                    ServeResponse(
                        status: 503, body: Array(#"{"code":-1008,"msg":"The local book is resynchronising; retry shortly."}"#.utf8),
                        headers: [("Retry-After", "1")]))
            }
        }
    }
}
