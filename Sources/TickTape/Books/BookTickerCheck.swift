/// Whether a book agrees with the same symbol's `bookTicker`, judged only where timing cannot
/// explain a difference.
///
/// Both name the book's update id (`u`), so the check compares them exactly at one id: a
/// bookTicker says what the best bid and ask were right after update `u`, and a book whose
/// last applied diff ended at `u` must show the same prices. Ids that never meet (the ticker's
/// `u` falls inside a diff's `U…u`, or the book has moved past it) are not compared at all;
/// so a disagreement is a wrong book, never a race between two streams.
package struct BookTickerCheck: Sendable {
    /// The newest ticker not yet compared.
    private var pending: BookTickerPrint?

    package init() {}

    /// A bookTicker arrived; compared as soon as the book reaches its id.
    package mutating func observe(_ ticker: BookTickerPrint) {
        pending = ticker
    }

    /// After a book changed: false if the book disagrees with a ticker of the same update id,
    /// true if it agrees, nil when there was nothing to compare.
    package mutating func check(_ book: OrderBook) -> Bool? {
        guard let ticker = pending else { return nil }
        if book.lastUpdateID < ticker.updateID { return nil }
        pending = nil
        guard book.lastUpdateID == ticker.updateID else { return nil }
        return Self.same(book.bestBid?.price, ticker.bidPrice) && Self.same(book.bestAsk?.price, ticker.askPrice)
    }

    /// Numerically equal ("1.10" and "1.1" are one price).
    private static func same(_ a: FixedDecimal?, _ b: FixedDecimal) -> Bool {
        guard let a else { return false }
        return !(a < b) && !(b < a)
    }
}
