import NIOCore

/// One WebSocket text frame as it left a session, on its way to the merger.
///
/// The payload is NIO's own buffer slice: handing it over costs a reference count, not a copy.
package struct InboundFrame: Sendable {
    /// `CLOCK_REALTIME` nanoseconds taken when the bytes carrying this frame were read from the socket.
    package var receivedAt: Int64
    /// The frame's payload exactly as received (unmasked server frame).
    package var payload: ByteBuffer

    @inlinable
    package init(receivedAt: Int64, payload: ByteBuffer) {
        self.receivedAt = receivedAt
        self.payload = payload
    }
}
