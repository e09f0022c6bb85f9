/// One side's price level of a simulated book, as Binance writes it: decimal strings.
package struct DepthLevel: Sendable, Equatable, CustomStringConvertible {
    package var price: String
    package var quantity: String

    package init(price: String, quantity: String) {
        self.price = price
        self.quantity = quantity
    }

    package var description: String { "[\(price), \(quantity)]" }
}

/// A simulated order book at one update id, in Binance's depth shape: the ground truth a test compares a
/// client's snapshot or rebuilt book with.
package struct SimulatedDepth: Sendable, Equatable {
    /// The last update id applied to this book.
    package var lastUpdateID: UInt64
    /// Bids, best (highest) first.
    package var bids: [DepthLevel]
    /// Asks, best (lowest) first.
    package var asks: [DepthLevel]

    package init(lastUpdateID: UInt64, bids: [DepthLevel], asks: [DepthLevel]) {
        self.lastUpdateID = lastUpdateID
        self.bids = bids
        self.asks = asks
    }
}

/// An update the exchange applied to a book but published on no stream (a break of the update-id chain that
/// every connection sees), for tests that count the resyncs a client must do.
package struct ChainBreak: Sendable, Equatable {
    /// The lowercase symbol.
    package var symbol: String
    /// `U` of the unpublished update.
    package var firstUpdateID: UInt64
    /// `u` of the unpublished update: the `pu` of the next event of every stream of the symbol.
    package var lastUpdateID: UInt64
}
