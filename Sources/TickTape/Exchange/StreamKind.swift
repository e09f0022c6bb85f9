/// What ticktape knows about a Binance stream from its name (`btcusdt@depth@100ms`): the
/// `e` values its frames carry, and how long it may stay quiet before silence is suspicious.
///
/// The quiet limits are the per-kind defaults of the stream watchdog (`stream_stale_after`).
/// Streams with a fixed push rhythm (partial depth, mark price, kline, tickers) get a few
/// periods; streams that only move with the market get more, since an illiquid symbol can
/// legitimately be quiet; liquidations have no rhythm at all and are not watched by default.
/// Binance acknowledges a SUBSCRIBE to names it never serves, so silence is the only symptom of
/// a dead name: the watchdog is what reports it.
package struct StreamKind: Sendable, Equatable {
    /// The symbol in lowercase (`btcusdt`), or empty for all-market streams (`!bookTicker`).
    package let symbol: String
    /// The stream type as written in the name (`bookTicker`, `depth`, `kline_1m`, …).
    package let type: String
    /// The `e` values of its frames (empty when frames carry none, as spot's bookTicker).
    package let eventTypes: [String]
    /// How long it may deliver nothing before the watchdog reports it; nil: no rhythm, unwatched.
    package let quietLimit: Duration?

    /// Parses a stream name; unknown types get a generous 60 s limit.
    package init(streamName name: String) {
        let parts = name.split(separator: "@", omittingEmptySubsequences: false).map(String.init)
        let head = parts.first ?? ""
        let allMarket = head.hasPrefix("!")
        symbol = allMarket ? "" : head.lowercased()
        let type = allMarket ? String(head.dropFirst()) : (parts.count > 1 ? parts[1] : "")
        self.type = type
        let fast = parts.dropFirst(allMarket ? 1 : 2).contains { $0 == "100ms" || $0 == "0ms" || $0 == "1s" }
        switch type {
        case "bookTicker":
            (eventTypes, quietLimit) = (["bookTicker"], .seconds(30))
        case "aggTrade":
            (eventTypes, quietLimit) = (["aggTrade"], .seconds(120))
        case "trade":
            (eventTypes, quietLimit) = (["trade"], .seconds(120))
        case "depth", "rpiDepth":
            (eventTypes, quietLimit) = (["depthUpdate"], fast ? .seconds(5) : .seconds(10))
        case "depth5", "depth10", "depth20":
            (eventTypes, quietLimit) = (["depthUpdate"], .seconds(5))
        case "markPrice":
            (eventTypes, quietLimit) = (["markPriceUpdate"], fast ? .seconds(10) : .seconds(15))
        case "ticker":
            (eventTypes, quietLimit) = (["24hrTicker"], .seconds(15))
        case "miniTicker":
            (eventTypes, quietLimit) = (["24hrMiniTicker"], .seconds(15))
        case "forceOrder":
            (eventTypes, quietLimit) = (["forceOrder"], nil)
        case _ where type.hasPrefix("kline_"):
            (eventTypes, quietLimit) = (["kline"], .seconds(15))
        case _ where type.hasPrefix("continuousKline"):
            (eventTypes, quietLimit) = (["continuous_kline"], .seconds(15))
        default:
            (eventTypes, quietLimit) = ([], .seconds(60))
        }
    }

    /// Whether a frame named by the merger as `symbol@event` (raw streams carry no stream name)
    /// belongs to this stream.
    func matches(symbol frameSymbol: Substring, event: Substring) -> Bool {
        frameSymbol == symbol && eventTypes.contains(where: { $0 == event })
    }
}
