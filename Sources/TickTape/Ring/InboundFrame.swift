import NIOCore

/// One WebSocket text frame as it left a session, on its way to the merger.
///
/// The payload is NIO's own buffer slice: handing it over costs a reference count, not a copy.
public struct InboundFrame: Sendable {
    /// `CLOCK_REALTIME` nanoseconds taken when the bytes carrying this frame were read from the socket.
    public var receivedAt: Int64
    /// The frame's payload exactly as received (unmasked server frame).
    public var payload: ByteBuffer

    @inlinable
    public init(receivedAt: Int64, payload: ByteBuffer) {
        self.receivedAt = receivedAt
        self.payload = payload
    }
}
