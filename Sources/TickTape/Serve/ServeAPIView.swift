/// What one API request reads: the engine, its books and relay, and the catalogue of symbols
/// the captures carry, taken once per request from the configuration in force.
struct ServeAPIView {
    /// One symbol of one capture: its streams, whether a book and bars are kept.
    struct Carried {
        var capture: String
        var market: BookMarket
        var symbol: String
        var streams: [String]
        /// Whether a local book follows this symbol's diff depth here.
        var book: Bool
        /// Bar intervals built from this symbol's trades here (empty: none).
        var bars: [BarInterval]
    }

    let engine: CaptureEngine
    let books: BookService?
    let hub: RelayHub?
    let config: TickTapeConfig
    /// Every symbol of every capture, in configuration order.
    let carried: [Carried]

    init(engine: CaptureEngine, books: BookService?, hub: RelayHub?) {
        self.engine = engine
        self.books = books
        self.hub = hub
        config = engine.config
        var carried: [Carried] = []
        for capture in config.captures {
            let market: BookMarket = capture.books.market == .spot ? .spot : .usdm
            var order: [String] = []
            var streams: [String: [String]] = [:]
            for stream in capture.endpoint.streams + capture.subscribe {
                let symbol = stream.prefix { $0 != "@" }
                // `!bookTicker` and the like carry every symbol; they name none.
                guard !symbol.isEmpty, !symbol.hasPrefix("!") else { continue }
                let name = symbol.uppercased()
                if streams[name] == nil { order.append(name) }
                if streams[name]?.contains(stream) != true { streams[name, default: []].append(stream) }
            }
            for symbol in order {
                let list = streams[symbol] ?? []
                carried.append(
                    Carried(
                        capture: capture.name, market: market, symbol: symbol, streams: list,
                        book: books != nil && capture.books.enabled && list.contains(where: CaptureBooksConfig.isDiffDepth),
                        bars: books != nil && list.contains(where: CaptureBooksConfig.isTrades) ? capture.books.barIntervals : []))
            }
        }
        self.carried = carried
    }

    /// Where `symbol` (upper case) is carried; a 404 when nowhere.
    func carrying(_ symbol: String) throws(ServeAPIError) -> [Carried] {
        let found = carried.filter { $0.symbol == symbol }
        guard !found.isEmpty else {
            throw ServeAPIError(404, "unknown symbol '\(symbol)': no capture carries it (see /api/v1/symbols)")
        }
        return found
    }
}
