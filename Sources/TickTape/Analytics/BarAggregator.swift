/// Builds ``Bar``s of one symbol for several intervals at once from its trades (or
/// aggTrades), in the merged stream's order.
///
/// A bar closes when the first trade at or after its end arrives (trade time `T`, the
/// exchange's clock, so bars do not depend on when the capture received them); ``flush(_:)``
/// closes the open ones at the end of input. Intervals without a trade produce no bar. A trade
/// older than the open bar (possible only across a late copy) cannot be placed: it is counted
/// in ``lateTrades`` and left out. USD-M prints that are not market trades (`X` other than
/// `MARKET`: insurance fund, ADL) are left out as Binance's klines do (``nonMarketTrades``).
package struct BarAggregator {
    package let symbol: String
    package let intervals: [BarInterval]
    private var open: [Bar?]
    package private(set) var lateTrades = 0
    package private(set) var nonMarketTrades = 0

    package init(symbol: String, intervals: [BarInterval]) {
        self.symbol = symbol.uppercased()
        self.intervals = intervals
        self.open = Array(repeating: nil, count: intervals.count)
    }

    /// Adds one trade, handing every bar it closes to `closed`.
    package mutating func add(_ trade: TradePrint, closed: (Bar) -> Void) {
        guard trade.isMarketTrade else {
            nonMarketTrades += 1
            return
        }
        let quote = Int128(trade.price.mantissa) * Int128(trade.quantity.mantissa)
        let quoteScale = trade.price.scale + trade.quantity.scale
        for i in intervals.indices {
            let start = intervals[i].start(of: trade.tradeTime)
            if let bar = open[i] {
                if start < bar.openTime {
                    if i == 0 { lateTrades += 1 }
                    continue
                }
                if start > bar.openTime {
                    closed(bar)
                    open[i] = nil
                }
            }
            guard var bar = open[i] else {
                open[i] = Bar(
                    symbol: symbol, interval: intervals[i], openTime: start, open: trade.price, high: trade.price,
                    low: trade.price, close: trade.price, volume: Int128(trade.quantity.mantissa),
                    takerBuyVolume: trade.buyerIsMaker ? 0 : Int128(trade.quantity.mantissa),
                    volumeScale: trade.quantity.scale, quoteVolume: quote, quoteScale: quoteScale, trades: 1,
                    firstTradeID: trade.id, lastTradeID: trade.id)
                continue
            }
            if trade.price > bar.high { bar.high = trade.price }
            if trade.price < bar.low { bar.low = trade.price }
            bar.close = trade.price
            let q = Self.rescaleVolume(Int128(trade.quantity.mantissa), from: trade.quantity.scale, bar: &bar)
            bar.volume += q
            if !trade.buyerIsMaker { bar.takerBuyVolume += q }
            let qv = Self.rescaleQuote(quote, from: quoteScale, bar: &bar)
            bar.quoteVolume += qv
            bar.trades += 1
            bar.lastTradeID = trade.id
            open[i] = bar
        }
    }

    /// The bars still open, for a consumer that must persist them (a sink's cursor).
    package var openBars: [Bar] { open.compactMap { $0 } }

    /// Puts back an open bar saved with ``openBars`` (ignored if its interval is not one of these).
    package mutating func restore(_ bar: Bar) {
        guard let i = intervals.firstIndex(of: bar.interval) else { return }
        open[i] = bar
    }

    /// Closes and hands over every open bar (end of input).
    package mutating func flush(_ closed: (Bar) -> Void) {
        for i in intervals.indices {
            if let bar = open[i] { closed(bar) }
            open[i] = nil
        }
    }

    /// `value` (at `scale`) at the bar's volume scale, widening the bar's if `scale` is finer.
    private static func rescaleVolume(_ value: Int128, from scale: UInt8, bar: inout Bar) -> Int128 {
        if scale > bar.volumeScale {
            let f = Bar.power(Int(scale - bar.volumeScale))
            bar.volume *= f
            bar.takerBuyVolume *= f
            bar.volumeScale = scale
        }
        return value * Bar.power(Int(bar.volumeScale - scale))
    }

    /// `value` (at `scale`) at the bar's quote scale, widening the bar's if `scale` is finer.
    private static func rescaleQuote(_ value: Int128, from scale: UInt8, bar: inout Bar) -> Int128 {
        if scale > bar.quoteScale {
            bar.quoteVolume *= Bar.power(Int(scale - bar.quoteScale))
            bar.quoteScale = scale
        }
        return value * Bar.power(Int(bar.quoteScale - scale))
    }
}
