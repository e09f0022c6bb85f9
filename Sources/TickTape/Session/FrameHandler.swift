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
///
/// A duplex handler only so that it can hold back `read()` while a rotation's held frames are
/// still draining into the ring (``releaseHeld()``): the socket buffer then absorbs the burst
/// instead of this process' memory, and nothing is dropped.
final class FrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
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
    /// How often ``ClientPinger`` pings this link (nil: never), from `[telemetry] ping_interval`.
    private let pingInterval: Duration?
    private var closeSent = false
    /// A rotation's replacement reports its first frame: that is when the old link may go.
    private var awaitingFirstFrame: Bool
    /// A replacement holds its frames until the old link has closed (``releaseHeld()``), so the
    /// merger sees every copy the old link still had before the newer ones: a message the old
    /// link delivers late can never be overtaken by its successor on the new link.
    private var holding: Bool
    /// Frames not yet in the ring, oldest first: while ``holding``, and after the release until
    /// the ring has taken them all (new frames queue behind them so the order is kept).
    private var held = CircularBuffer<InboundFrame>()
    /// Whether the release is still pushing ``held`` into the ring, a ring's worth per retry.
    private var draining = false
    /// A `read()` held back while draining with more than a ring's worth queued.
    private var readPending = false
    private var context: ChannelHandlerContext?
    /// How soon a drain that found the ring full tries again: the merger empties a full ring
    /// in well under a millisecond, so this only bounds the spin while it is stalled.
    static let drainRetry = TimeAmount.milliseconds(1)

    init(
        ring: SPSCRing<InboundFrame>, stamp: ReadStamp, stats: ConnectionStatistics, events: SessionEvents,
        reportsFirstFrame: Bool = false, pingInterval: Duration? = nil
    ) {
        self.pingInterval = pingInterval
        self.ring = ring
        self.stamp = stamp
        self.stats = stats
        self.events = events
        self.awaitingFirstFrame = reportsFirstFrame
        self.holding = reportsFirstFrame
        if reportsFirstFrame { held = CircularBuffer(initialCapacity: 4096) }
    }

    /// Stops holding (the old link is gone) and moves the held frames into the ring in arrival
    /// order. A rotation at a high rate can hold more than the ring has room for; pushing them
    /// in one go would drop the newest copies, which with one connection nobody else has. So
    /// the drain pushes what fits, retries after ``drainRetry`` while the merger makes room,
    /// queues newer frames behind the held ones, and holds back reads while more than a ring's
    /// worth is queued: the burst is delayed, never dropped.
    func releaseHeld() {
        guard holding else { return }
        holding = false
        draining = true
        drain()
    }

    /// Whether frames are still waiting for the ring (holding, or draining after the release).
    var hasQueuedFrames: Bool { !held.isEmpty }

    private func drain() {
        while let frame = held.first {
            guard ring.push(frame) else { break }
            held.removeFirst()
        }
        if held.isEmpty {
            draining = false
            held = CircularBuffer()
            resumeReadIfPending()
            return
        }
        if held.count <= ring.capacity { resumeReadIfPending() }
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.drainRetry) {
            if handler.value.draining { handler.value.drain() }
        }
    }

    private func resumeReadIfPending() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func read(context: ChannelHandlerContext) {
        if draining, held.count > ring.capacity {
            readPending = true
            return
        }
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A link still holding was never promoted: the old link delivered those copies. A link
        // closing mid-drain loses what the ring has not taken yet, and says so.
        if draining {
            while let frame = held.first, ring.push(frame) { held.removeFirst() }
            if !held.isEmpty { stats.ringDrops.bump(held.count) }
            draining = false
        }
        held = CircularBuffer()
        context.fireChannelInactive()
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
            // Only market data proves the replacement delivers: a SUBSCRIBE reply comes before
            // the stream does, and promoting on it would retire the old link too early.
            if awaitingFirstFrame, Self.isMarketData(payload) {
                awaitingFirstFrame = false
                events.firstFrame(context.channel)
            }
            if holding || draining {
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
        self.context = context
        if let pingInterval { ClientPinger.start(on: context.channel, every: pingInterval) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
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

    /// Whether a frame is an exchange event (not a control reply, not garbage).
    static func isMarketData(_ payload: ByteBuffer) -> Bool {
        payload.withUnsafeReadableBytes { FrameScanner.scan($0).kind == .data }
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
