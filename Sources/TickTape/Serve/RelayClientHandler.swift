import BinanceWire
import Logging
import NIOCore
import NIOWebSocket

/// A relay client's WebSocket after the upgrade: answers Binance's control messages
/// (`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY combined`)
/// with Binance's replies and error codes, pings the client and answers its pings, and tells
/// the ``RelayHub`` what the client subscribes to. The data frames come from the hub through
/// ``RelayClient``; nothing here is on the merged stream's path.
///
/// Bad input closes with a reason and touches no other client: a binary frame 1003, an
/// oversized or malformed frame 1009/1002, more than `controlLimit` messages in a second 1008
/// ("Too many requests", as Binance), a client that answers no ping within `idle_timeout` 1001.
final class RelayClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    /// Control messages (text frames and pings) a client may send per second, as Binance
    /// allows on USD-M (10); more closes the connection.
    static let controlLimit = 10

    private let hub: RelayHub
    private let settings: ServeConfig
    private let logger: Logger
    private var names: [String]
    private var combined: Bool
    private var client: RelayClient?
    private var pingTask: RepeatedTask?
    private var lastHeard = WallClock.monotonicNanos()
    private var windowStart = WallClock.monotonicNanos()
    private var windowCount = 0
    private var text = ByteBuffer()

    init(path: StreamRequestPath, hub: RelayHub, settings: ServeConfig, logger: Logger) {
        self.names = []
        self.combined = path.combined
        self.hub = hub
        self.settings = settings
        self.logger = logger
        for name in path.streams where !names.contains(name) { names.append(name) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let client = RelayClient(
            channel: context.channel, hub: hub, queueLimit: settings.clientQueueBytes, slowTimeout: settings.slowClientTimeout)
        self.client = client
        hub.noteSubscribed(names)
        hub.update(client, names: names, combined: combined)
        let interval = TimeAmount.nanoseconds(Int64(settings.pingInterval.components.seconds) * 1_000_000_000)
        let idle = settings.idleTimeout
        let idleNanos = Int64(idle.components.seconds) * 1_000_000_000
        let box = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = box.value
            if WallClock.monotonicNanos() - handler.lastHeard > idleNanos + Int64(interval.nanoseconds) {
                handler.client?.closeOnLoop(code: 1001, reason: "no pong")
                return
            }
            var ping = context.channel.allocator.buffer(capacity: 16)
            let stamp = String(WallClock.realtimeNanos() / 1_000_000)
            ping.writeWebSocketFrameHeader(opcode: .ping, payloadLength: stamp.utf8.count)
            ping.writeString(stamp)
            context.writeAndFlush(NIOAny(ping), promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTask?.cancel()
        client?.closed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        pingTask?.cancel()
        client?.closed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        client?.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The frame decoder's errors: an oversized or malformed frame.
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            client?.closeOnLoop(code: 1009, reason: "frame too large")
        } else {
            client?.closeOnLoop(code: 1002, reason: "protocol error")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // After the decision to close, nothing a client sends changes anything (a SUBSCRIBE then
        // would attach a closed client again).
        guard let live = client, !live.state.value.closed else { return }
        lastHeard = WallClock.monotonicNanos()
        switch frame.opcode {
        case .text, .continuation:
            if frame.opcode == .text { text.clear() }
            var data = frame.unmaskedData
            guard text.readableBytes + data.readableBytes <= 64 << 10 else {
                client?.closeOnLoop(code: 1009, reason: "message too large")
                return
            }
            text.writeBuffer(&data)
            guard frame.fin else { return }
            guard admit() else { return }
            handleControl(ControlMessage(text: String(buffer: text)), context: context)
        case .ping:
            guard admit() else { return }
            let payload = frame.unmaskedData
            var pong = context.channel.allocator.buffer(capacity: 10 + payload.readableBytes)
            pong.writeWebSocketFrame(opcode: .pong, payload: payload)
            context.writeAndFlush(NIOAny(pong), promise: nil)
        case .pong:
            return
        case .connectionClose:
            client?.closeOnLoop(code: 1000, reason: "")
        case .binary:
            client?.closeOnLoop(code: 1003, reason: "binary frames are not accepted")
        default:
            client?.closeOnLoop(code: 1002, reason: "unknown opcode")
        }
    }

    /// Binance's per-connection limit on incoming messages.
    private func admit() -> Bool {
        let now = WallClock.monotonicNanos()
        if now - windowStart >= 1_000_000_000 {
            windowStart = now
            windowCount = 0
        }
        windowCount += 1
        guard windowCount <= Self.controlLimit else {
            client?.closeOnLoop(code: 1008, reason: "Too many requests")
            return false
        }
        return true
    }

    private func handleControl(_ message: ControlMessage, context: ChannelHandlerContext) {
        let reply: String
        switch message {
        case .subscribe(let new, let id):
            let added = new.filter { !names.contains($0) }
            if let bad = new.first(where: { !Self.isStreamName($0) }) {
                reply = ControlMessage.error(code: 2, message: "Invalid request: invalid stream \(bad)", id: id)
            } else if names.count + Set(added).count > settings.maxSubscriptions {
                reply = ControlMessage.error(code: 4, message: "Too many subscriptions", id: id)
            } else {
                for name in added where !names.contains(name) { names.append(name) }
                hub.noteSubscribed(added)
                if let client { hub.update(client, names: names, combined: combined) }
                reply = ControlMessage.nullResult(id: id)
            }
        case .unsubscribe(let old, let id):
            names.removeAll { old.contains($0) }
            if let client { hub.update(client, names: names, combined: combined) }
            reply = ControlMessage.nullResult(id: id)
        case .listSubscriptions(let id):
            reply = ControlMessage.listResult(names, id: id)
        case .setCombined(let value, let id):
            combined = value
            if let client { hub.update(client, names: names, combined: combined) }
            reply = ControlMessage.nullResult(id: id)
        case .getCombined(let id):
            reply = ControlMessage.boolResult(combined, id: id)
        case .invalid(let code, let text, let id):
            reply = ControlMessage.error(code: code, message: text, id: id)
        }
        var frame = context.channel.allocator.buffer(capacity: reply.utf8.count + 4)
        frame.writeWebSocketFrameHeader(opcode: .text, payloadLength: reply.utf8.count)
        frame.writeString(reply)
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    /// Binance stream names are printable ASCII without spaces, quotes or slashes.
    static func isStreamName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200
            && name.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") }
    }
}
