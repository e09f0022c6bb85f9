/// A generated USD-M `bookTicker` feed: message `i` is due at `start + i / rate` for symbol
/// `symbols[i % symbols.count]`.
///
/// Payloads have the exact shape Binance sends, with update ids and prices derived from the message index
/// and the seed only, so every connection sees identical bytes for the same message.
package struct SyntheticBookTicker: Sendable {
    /// Lowercase symbols; each one is served as the stream `<symbol>@bookTicker`.
    package var symbols: [String]
    /// Messages per second over all symbols together.
    package var rate: Double
    /// Number of messages after which the feed stops (connections stay open); `nil` runs forever.
    package var count: Int?

    /// Creates a synthetic feed.
    package init(symbols: [String] = ["btcusdt"], rate: Double, count: Int? = nil) {
        self.symbols = symbols
        self.rate = rate
        self.count = count
    }
}
