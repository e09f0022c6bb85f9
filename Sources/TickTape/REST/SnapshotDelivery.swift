import NIOCore

/// A snapshot the scheduler fetched, for the book engine and for the capture (which records it as a
/// `<receivedAtNanos> <body>` line with the symbol and market).
package struct SnapshotDelivery: Sendable {
    /// Uppercase, as in the request.
    package var symbol: String
    package var market: RestMarket
    /// The `limit` it was fetched with.
    package var limit: Int
    /// The raw JSON body.
    package var body: ByteBuffer
    package var lastUpdateID: UInt64
    /// Unix ns at which the response was complete.
    package var receivedAtNanos: Int64
}

/// What a ``SnapshotScheduler`` reports, on its event loop.
package enum SnapshotEvent: Sendable {
    /// A snapshot arrived.
    case snapshot(SnapshotDelivery)
    /// A fetch failed (connection, timeout, status, malformed body); the symbol is fetched again after
    /// `retryIn` without another ``SnapshotScheduler/request(symbol:market:)``.
    case failed(symbol: String, market: RestMarket, error: DepthSnapshotError, retryIn: Duration)
    /// The server answered 429 or 418: the market's budget is closed for `closedFor`, the symbol stays at
    /// the head of the queue.
    case rateLimited(symbol: String, market: RestMarket, status: Int, closedFor: Duration)
}
