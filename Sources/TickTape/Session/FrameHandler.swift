import NIOCore
import NIOWebSocket

/// The session's WebSocket endpoint in the pipeline: pushes text frames into the ring,
/// answers pings, and completes the close handshake. Runs on the event loop with no hop.
///
/// Frames that cannot be market data are skipped here, counted, and reported to the session
/// (which logs them, rate-limited): binary frames, and text frames above ``maxMessageBytes``
/// (the decoder accepts up to ``decoderLimit`` so that one absurd frame costs a skip, not the
/// connection). Binance's `serverShutdown` event is consumed here and handed to the session,
/// which rotates the connection before the server drops it.
final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Largest message passed to the merger.
    static let maxMessageBytes = 1 << 20
    /// Largest frame the decoder reads at all; beyond it NIO closes with 1009 (protocol limit).
    static let decoderLimit = 16 << 20

    private static let shutdownPrefix: [UInt8] = Array(#"{"e":"serverShutdown""#.utf8)

    private let ring: SPSCRing<InboundFrame>
    private let stamp: ReadStamp
    private let stats: ConnectionStatistics
    private let events: SessionEvents
    private var closeSent = false
    /// A rotation's replacement reports its first frame: that is when the old link may go.
    private var awaitingFirstFrame: Bool
    /// A replacement holds its frames until the old link has closed (``releaseHeld()``), so the
    /// merger sees every copy the old link still had before the newer ones: a message the old
    /// link delivers late can never be overtaken by its successor on the new link.
    private var holding: Bool
    private var held: [InboundFrame] = []

    init(
        ring: SPSCRing<InboundFrame>, stamp: ReadStamp, stats: ConnectionStatistics, events: SessionEvents,
        reportsFirstFrame: Bool = false
    ) {
        self.ring = ring
        self.stamp = stamp
        self.stats = stats
        self.events = events
        self.awaitingFirstFrame = reportsFirstFrame
        self.holding = reportsFirstFrame
        if reportsFirstFrame { held.reserveCapacity(4096) }
    }

    /// Pushes the held frames in arrival order and stops holding (the old link is gone).
    func releaseHeld() {
        guard holding else { return }
        holding = false
        for frame in held where !ring.push(frame) { stats.ringDrops.bump() }
        held = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            stats.framesReceived.bump()
            stats.bytesReceived.bump(payload.readableBytes)
            if payload.readableBytes > Self.maxMessageBytes {
                stats.skippedFrames.bump()
                events.skippedFrame(context.channel, kind: "oversize text frame", payload: payload)
                return
            }
            if payload.readableBytes < 96, Self.isServerShutdown(payload) {
                events.serverShutdown(context.channel)
                return
            }
            if awaitingFirstFrame {
                awaitingFirstFrame = false
                events.firstFrame(context.channel)
            }
            if holding {
                held.append(InboundFrame(receivedAt: stamp.nanos, payload: payload))
                return
            }
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
            events.serverClosed(context.channel, code: code, reason: reason)
            if !closeSent {
                closeSent = true
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.writeInteger(code ?? 1000)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                let channel = context.channel
                context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .binary:
            stats.skippedFrames.bump()
            events.skippedFrame(context.channel, kind: "binary frame", payload: frame.unmaskedData)
        case .pong:
            ClientPinger.pongReceived(frame.unmaskedData, statistics: stats)
        default:
            break
        }
    }

    /// Every link (first connection or rotation replacement) pings for its round trip.
    func handlerAdded(context: ChannelHandlerContext) {
        ClientPinger.start(on: context.channel, statistics: stats)
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
        events.failed(context.channel, error)
        context.close(promise: nil)
    }

    /// Whether a short frame is `{"e":"serverShutdown",…}`; one byte decides for every other frame.
    @inline(__always)
    static func isServerShutdown(_ payload: ByteBuffer) -> Bool {
        guard payload.readableBytes > shutdownPrefix.count,
            payload.getInteger(at: payload.readerIndex + 6, as: UInt8.self) == UInt8(ascii: "s")
        else { return false }
        return payload.withUnsafeReadableBytes { $0.prefix(shutdownPrefix.count).elementsEqual(shutdownPrefix) }
    }
}

/// What a frame handler reports back to its session (same event loop). `channel` tells the
/// session which of its links (current or rotation replacement) the event belongs to.
protocol SessionEvents: AnyObject {
    func serverClosed(_ channel: any Channel, code: UInt16?, reason: String)
    func failed(_ channel: any Channel, _ error: any Error)
    func firstFrame(_ channel: any Channel)
    func serverShutdown(_ channel: any Channel)
    func skippedFrame(_ channel: any Channel, kind: String, payload: ByteBuffer)
}
