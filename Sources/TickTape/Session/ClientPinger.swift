import NIOCore
import NIOWebSocket

/// Client-initiated WebSocket pings that measure the round trip to the exchange.
///
/// The latency against `E` mixes network delay with the exchange's own queueing and with the
/// host clock's error; a ping's round trip is network (and the server's WebSocket stack) only,
/// measured on one clock. Each ping carries its `CLOCK_MONOTONIC` send time (8 bytes, big
/// endian); the server echoes it in the pong, so no state is kept per ping and a pong that is
/// not ours (unsolicited, or from a server that does not echo) is recognised and ignored.
///
/// The frame handler calls ``start(on:every:)`` when it joins a link's pipeline (after
/// the upgrade, for the first link and every rotation replacement alike) and
/// ``pongReceived(_:statistics:)`` for every pong; everything else lives here. Pings stop by
/// themselves when the channel closes.
enum ClientPinger {
    /// A round trip longer than this is not ours (or is meaningless).
    static let plausibleNanos: Int64 = 60_000_000_000

    /// Schedules a ping every `interval`. Call on the channel's event loop.
    static func start(on channel: any Channel, every interval: Duration) {
        let interval = max(interval.nanoseconds, 1_000_000)
        let task = channel.eventLoop.scheduleRepeatedTask(
            initialDelay: .nanoseconds(min(interval, 1_000_000_000)), delay: .nanoseconds(interval)
        ) { task in
            guard channel.isActive else {
                task.cancel()
                return
            }
            var payload = channel.allocator.buffer(capacity: 8)
            payload.writeInteger(WallClock.monotonicNanos(), endianness: .big, as: Int64.self)
            let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: payload)
            channel.writeAndFlush(ping, promise: nil)
        }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }

    /// Records the round trip if `payload` is one of our stamps.
    static func pongReceived(_ payload: ByteBuffer, statistics: ConnectionStatistics) {
        guard payload.readableBytes == 8,
            let sent = payload.getInteger(at: payload.readerIndex, endianness: .big, as: Int64.self)
        else { return }
        let rtt = WallClock.monotonicNanos() - sent
        guard rtt >= 0, rtt < plausibleNanos else { return }
        statistics.pingRoundTripNanos.store(Int(rtt), ordering: .relaxed)
        statistics.pongs.bump()
    }
}
