/// One side's price level of a simulated book, as Binance writes it: decimal strings.
public struct DepthLevel: Sendable, Equatable, CustomStringConvertible {
    public var price: String
    public var quantity: String

    public init(price: String, quantity: String) {
        self.price = price
        self.quantity = quantity
    }

    public var description: String { "[\(price), \(quantity)]" }
}

/// A simulated order book at one update id, in Binance's depth shape: the ground truth a test compares a
/// client's snapshot or rebuilt book with.
public struct SimulatedDepth: Sendable, Equatable {
    /// The last update id applied to this book.
    public var lastUpdateID: UInt64
    /// Bids, best (highest) first.
    public var bids: [DepthLevel]
    /// Asks, best (lowest) first.
    public var asks: [DepthLevel]

    public init(lastUpdateID: UInt64, bids: [DepthLevel], asks: [DepthLevel]) {
        self.lastUpdateID = lastUpdateID
        self.bids = bids
        self.asks = asks
    }
}

/// An update the exchange applied to a book but published on no stream (a break of the update-id chain that
/// every connection sees), for tests that count the resyncs a client must do.
public struct ChainBreak: Sendable, Equatable {
    /// The lowercase symbol.
    public var symbol: String
    /// `U` of the unpublished update.
    public var firstUpdateID: UInt64
    /// `u` of the unpublished update: the `pu` of the next event of every stream of the symbol.
    public var lastUpdateID: UInt64
}
