/// A generated diff-depth feed: one synthetic L2 order book per symbol that changes `rate` times per second
/// (over all symbols together: update `k` is symbol `symbols[k % symbols.count]`'s), published on every
/// configured depth speed with Binance's payloads and update-id rules.
///
/// The book is a pure function of the seed and the update ordinal, so the ground truth at any update id can
/// be rebuilt independently (``ExchangeSimulator/trueBook(symbol:atUpdateID:limit:)``), and the REST snapshot
/// is consistent with the stream: its `lastUpdateId` is the last update applied to the book it returns.
package struct SyntheticDepthBook: Sendable {
    /// Which market's rules and formats to follow.
    package var market: SimulatedMarket
    /// Lowercase symbols; each is served as `<symbol>@depth…` streams.
    package var symbols: [String]
    /// Book updates per second over all symbols together.
    package var rate: Double
    /// The speeds served; every symbol gets one stream per speed. Defaults to all the market has.
    package var speeds: [DepthSpeed]
    /// Price levels per side the book spans around its mid price (levels inside may be empty).
    package var levelsPerSide: Int
    /// Times after the schedule starts at which the exchange itself skips update ids: the first update of
    /// every symbol at or after each time changes the book but is published on no stream, so every
    /// connection sees the same break and a client must resync once per symbol.
    package var chainBreaks: [Duration]

    /// Creates a synthetic depth feed.
    package init(
        market: SimulatedMarket = .usdm,
        symbols: [String] = ["btcusdt"],
        rate: Double,
        speeds: [DepthSpeed]? = nil,
        levelsPerSide: Int = 1_200,
        chainBreaks: [Duration] = []
    ) {
        self.market = market
        self.symbols = symbols
        self.rate = rate
        self.speeds = speeds ?? DepthSpeed.all(for: market)
        self.levelsPerSide = levelsPerSide
        self.chainBreaks = chainBreaks
    }
}
