import BinanceWire
import NIOCore

/// One WebSocket client of the relay: what the relay thread knows of it (its channel and
/// event loop) and, on that event loop only, what the sending side needs (``LoopState``).
///
/// A client that falls behind is closed with 1008, as Binance closes one, never waited for:
/// its socket buffer plus the bytes queued for it beyond `client_queue`, or a socket that stayed
/// unwritable for `slow_client_timeout`. After the decision nothing more is sent, so a client
/// never sees a stream with a hole in it.
package final class RelayClient: Sendable {
    struct LoopState {
        var closed = false
        /// Monotonic ns since the socket is unwritable; nil while writable.
        var unwritableSince: Int64?
    }

    let channel: any Channel
    let eventLoop: any EventLoop
    let state: NIOLoopBoundBox<LoopState>
    private let hub: RelayHub
    private let queueLimit: Int
    private let slowNanos: Int64

    init(channel: any Channel, hub: RelayHub, queueLimit: Int, slowTimeout: Duration) {
        self.channel = channel
        self.eventLoop = channel.eventLoop
        self.state = NIOLoopBoundBox(LoopState(), eventLoop: channel.eventLoop)
        self.hub = hub
        self.queueLimit = queueLimit
        self.slowNanos = Int64(slowTimeout.components.seconds) * 1_000_000_000 + slowTimeout.components.attoseconds / 1_000_000_000
    }

    /// Writes a round of frames (on the event loop), or closes a client that fell behind.
    func deliver(_ buffer: ByteBuffer) {
        guard !state.value.closed else { return }
        // What the client has not read yet (NIO holds it once the socket buffer is full); the
        // round itself may be large after a busy moment without the client being slow.
        let queued = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        if queued > queueLimit {
            cutSlow("Too much backpressure")
            return
        }
        if let since = state.value.unwritableSince, WallClock.monotonicNanos() - since > slowNanos {
            cutSlow("Client too slow")
            return
        }
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// The socket's writability changed (on the event loop).
    func writabilityChanged(_ writable: Bool) {
        if writable {
            state.value.unwritableSince = nil
        } else if state.value.unwritableSince == nil {
            state.value.unwritableSince = WallClock.monotonicNanos()
        }
    }

    private func cutSlow(_ reason: String) {
        hub.countSlowClose()
        closeOnLoop(code: 1008, reason: reason)
    }

    /// Sends a close frame and closes (any thread).
    func close(code: UInt16, reason: String) {
        eventLoop.execute { self.closeOnLoop(code: code, reason: reason) }
    }

    func closeOnLoop(code: UInt16, reason: String) {
        guard !state.value.closed else { return }
        state.value.closed = true
        hub.detach(self)
        var frame = channel.allocator.buffer(capacity: 4 + reason.utf8.count)
        frame.writeWebSocketCloseFrame(code: code, reason: reason)
        let channel = self.channel
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The channel closed (on the event loop).
    func closed() {
        guard !state.value.closed else { return }
        state.value.closed = true
        hub.detach(self)
    }
}
