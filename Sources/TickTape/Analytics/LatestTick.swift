/// The latest market state of one symbol as ``LatestTickStore`` publishes it: the last
/// bookTicker, trade, mark price and synced-book top. Zero fields mean "not seen yet".
package struct LatestTick: Sendable, Equatable {
    package var bidPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var bidQuantity = FixedDecimal(mantissa: 0, scale: 0)
    package var askPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var askQuantity = FixedDecimal(mantissa: 0, scale: 0)
    /// bookTicker `u`.
    package var bookTickerUpdateID: Int64 = 0
    package var tradePrice = FixedDecimal(mantissa: 0, scale: 0)
    package var tradeQuantity = FixedDecimal(mantissa: 0, scale: 0)
    package var tradeTime: Int64 = 0
    package var tradeID: Int64 = 0
    package var markPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var markTime: Int64 = 0
    package var topBidPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var topBidQuantity = FixedDecimal(mantissa: 0, scale: 0)
    package var topAskPrice = FixedDecimal(mantissa: 0, scale: 0)
    package var topAskQuantity = FixedDecimal(mantissa: 0, scale: 0)
    /// The book's `lastUpdateId` when the top was taken.
    package var bookUpdateID: Int64 = 0
    /// Writes published to this slot so far.
    package var version: UInt64 = 0

    package init() {}
}
