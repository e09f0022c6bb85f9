import NIOCore

/// A depth snapshot as fetched: the raw JSON exactly as Binance sent it (the book engine parses it, and the
/// capture records it verbatim), with what the client learned on the way.
package struct DepthSnapshotResponse: Sendable {
    /// The body, `{"lastUpdateId":…,"bids":[…],"asks":[…]}` (USD-M adds `E` and `T`).
    package var body: ByteBuffer
    /// `lastUpdateId`, read from the body's start.
    package var lastUpdateID: UInt64
    /// `X-MBX-USED-WEIGHT-1M`: the server's count of weight used in its current minute, if sent.
    package var usedWeight: Int?
    /// Unix time in nanoseconds at which the last byte arrived (`CLOCK_REALTIME`, like the capture lines).
    package var receivedAtNanos: Int64
}
