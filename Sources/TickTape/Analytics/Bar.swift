/// One OHLC bar of one symbol and interval, all figures exact decimals.
///
/// - `open`/`high`/`low`/`close`: trade prices as Binance wrote them.
/// - `volume`, `takerBuyVolume`: sums of quantities (taker buy: trades with `m == false`).
/// - `quoteVolume`: the sum of price × quantity, exact (scale = price scale + quantity scale,
///   held in an `Int128`, so no rounding however many trades).
/// - `vwap`: quote volume ÷ volume, rounded half up to ``vwapScale`` decimals: the one
///   rounded figure, with a fixed precision so files compare byte for byte.
package struct Bar: Sendable, Equatable {
    /// Decimals of ``vwap``.
    package static let vwapScale: UInt8 = 8

    package var symbol: String
    package var interval: BarInterval
    /// Bar start, ms since the epoch (trade time).
    package var openTime: Int64
    package var open: FixedDecimal
    package var high: FixedDecimal
    package var low: FixedDecimal
    package var close: FixedDecimal
    /// Quantity sum, mantissa at ``volumeScale``.
    package var volume: Int128
    package var takerBuyVolume: Int128
    package var volumeScale: UInt8
    /// Σ price × quantity, mantissa at ``quoteScale``.
    package var quoteVolume: Int128
    package var quoteScale: UInt8
    package var trades: Int
    /// First and last trade id in the bar.
    package var firstTradeID: Int64
    package var lastTradeID: Int64

    /// Bar end (exclusive), ms.
    package var closeTime: Int64 { openTime + interval.milliseconds }

    /// VWAP as text with ``vwapScale`` decimals.
    package var vwap: String {
        guard volume > 0 else { return "" }
        // vwap·10^v = quote·10^(v − qs + vs) / volume
        let shift = Int(Self.vwapScale) - Int(quoteScale) + Int(volumeScale)
        var num = quoteVolume
        var den = volume
        if shift >= 0 { num *= Self.power(shift) } else { den *= Self.power(-shift) }
        let rounded = (2 * num + den) / (2 * den)
        return Self.text(rounded, scale: Self.vwapScale)
    }

    /// The CSV header matching ``csvLine``.
    package static let csvHeader =
        "symbol,interval,open_time,close_time,open,high,low,close,volume,quote_volume,trades,taker_buy_volume,vwap,first_trade_id,last_trade_id"

    /// One CSV line (no newline). Times are ms since the epoch, like Binance's klines.
    package var csvLine: String {
        [
            symbol, interval.description, String(openTime), String(closeTime - 1), open.description, high.description,
            low.description, close.description, Self.text(volume, scale: volumeScale),
            Self.text(quoteVolume, scale: quoteScale), String(trades), Self.text(takerBuyVolume, scale: volumeScale),
            vwap, String(firstTradeID), String(lastTradeID),
        ].joined(separator: ",")
    }

    static func power(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// `mantissa / 10^scale` with exactly `scale` decimals.
    package static func text(_ mantissa: Int128, scale: UInt8) -> String {
        var digits = Array(String(mantissa.magnitude).utf8)
        let s = Int(scale)
        if digits.count <= s { digits = Array(repeating: UInt8(ascii: "0"), count: s + 1 - digits.count) + digits }
        if s > 0 { digits.insert(UInt8(ascii: "."), at: digits.count - s) }
        return (mantissa < 0 ? "-" : "") + String(decoding: digits, as: UTF8.self)
    }
}
