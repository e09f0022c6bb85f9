import NIOCore
import NIOWebSocket

/// The session's WebSocket endpoint in the pipeline: pushes text frames into the ring,
/// answers pings, and completes the close handshake. Runs on the event loop with no hop.
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let ring: SPSCRing<InboundFrame>
    private let stamp: ReadStamp
    private let stats: ConnectionStatistics
    private let events: SessionEvents
    private var closeSent = false

    init(ring: SPSCRing<InboundFrame>, stamp: ReadStamp, stats: ConnectionStatistics, events: SessionEvents) {
        self.ring = ring
        self.stamp = stamp
        self.stats = stats
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            stats.framesReceived.bump()
            stats.bytesReceived.bump(payload.readableBytes)
            if !ring.push(InboundFrame(receivedAt: stamp.nanos, payload: payload)) {
                stats.ringDrops.bump()
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            events.serverClosed(code: code, reason: reason)
            if !closeSent {
                closeSent = true
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.writeInteger(code ?? 1000)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .binary:
            stats.skippedFrames.bump()
        default:
            break
        }
    }

    /// Starts the close handshake from our side (stop, rotation, staleness).
    func initiateClose(context: ChannelHandlerContext, code: UInt16) {
        guard !closeSent else { return }
        closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.writeInteger(code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        events.failed(error)
        context.close(promise: nil)
    }
}

/// What a frame handler reports back to its session (same event loop).
protocol SessionEvents: AnyObject {
    func serverClosed(code: UInt16?, reason: String)
    func failed(_ error: any Error)
}
