/// Which Binance WebSocket route a URL points at.
///
/// Since 2026-04 Binance USD-M futures splits its public streams by route: book data
/// (`@bookTicker`, `@depth`, `@trade`) only on `/public`, the rest (`@aggTrade`,
/// `@markPrice`, `@kline_*`) only on `/market`. A stream on the wrong route is acknowledged
/// and then never delivered, so the configuration checks the pairing.
package enum BinanceRoute: String, Sendable, Equatable, CaseIterable {
    /// USD-M futures `/public/ws/...` or `/public/stream?streams=...`.
    case usdmPublic
    /// USD-M futures `/market/ws/...` or `/market/stream?streams=...`.
    case usdmMarket
    /// USD-M futures `/ws/...` or `/stream?...` without a route prefix.
    case legacy
    /// Spot: `stream.binance.com`, `data-stream.binance.vision` or any host on port 9443.
    case spot
    /// Any other host (a local simulator, a proxy): no route rules are applied.
    case other
}
