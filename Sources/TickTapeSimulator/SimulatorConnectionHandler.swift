import BinanceWire
import NIOCore
import NIOSSL
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Commands the simulator delivers to a connection's handler as user inbound events, so they run on the
/// connection's own event loop.
enum SimulatorCommand: Sendable {
    case disconnect(DisconnectKind)
    case fault(ConnectionFault)
}

/// One upgraded WebSocket session: answers control messages and pings, and pumps the schedule.
///
/// The handler sits directly on the frame decoder. No `WebSocketFrameEncoder` is installed: every outgoing
/// frame, data or control, is written as raw bytes so a pump tick can pack hundreds of frames into one
/// `ByteBuffer` and one flush.
///
/// Pump: write every message that is due (and survives the drop/delay profile), flush once, record the batch
/// in the sent log, then sleep until the next send time, at least ``SimulatorConfiguration/batchWindow`` and
/// at most 1 ms ahead. While the channel is not writable the pump stops and resumes on the writability event,
/// so a slow reader builds up schedule lag rather than server memory.
final class SimulatorConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private static let maximumBatchBytes = 128 * 1024
    private static let maximumSleepNanos: Int64 = 1_000_000

    private let core: SimulatorCore
    private let schedule: MessageSchedule
    private let requestedIndex: Int?
    private let batchWindowNanos: Int64
    private var combined: Bool
    private var subscriptions: SubscriptionSet
    private var initialStreams: [String]
    private var registration: SimulatorCore.Registration?
    private var sampler: DelaySampler?
    private var rateLimiter: ControlRateLimiter?
    private var clock: ScheduleClock?

    private var cursor = 0
    private var pending: (index: Int, sendAt: Int64)?
    private var lastSendAt: Int64 = .min
    private var scheduledPump: Scheduled<Void>?
    private var scheduledPing: Scheduled<Void>?
    private var pumping = false
    private var pumpRequested = false
    private var closing = false
    private var sentBatch: [Int] = []
    private var scheduledLifetimeEnd: Scheduled<Void>?

    // Fault state (see ``ConnectionFault``).
    private var stalled = false
    private var answersPings = true
    private var extraDelayNanos: Int64 = 0
    private var duplicatesLeft = 0
    private var reordersLeft = 0
    private var skipsLeft = 0
    private var heldBack: Int?

    init(core: SimulatorCore, route: StreamRequestPath, requestedIndex: Int?) {
        self.core = core
        self.schedule = core.schedule
        self.requestedIndex = requestedIndex
        self.batchWindowNanos = max(0, DelaySampler.nanos(core.configuration.batchWindow))
        self.combined = route.combined
        self.subscriptions = SubscriptionSet(streamNames: core.schedule.streamNames)
        self.initialStreams = route.streams
        if let limit = core.configuration.controlMessageLimit {
            self.rateLimiter = ControlRateLimiter(limit: limit)
        }
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        let registration = self.core.openSession(requestedIndex: self.requestedIndex, channel: context.channel)
        self.registration = registration
        self.sampler = DelaySampler(
            profile: registration.profile,
            seed: self.core.configuration.seed,
            connectionIndex: registration.connectionIndex
        )
        self.cursor = registration.firstIndex
        self.subscriptions.subscribe(self.initialStreams)
        self.initialStreams = []
        self.schedulePing(context: context)
        if let lifetime = self.core.configuration.connectionLifetime {
            self.scheduledLifetimeEnd = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(lifetime)) {
                self.closeWithFrame(context: context, code: 1001, reason: "connection lifetime reached")
            }
        }
        self.pump(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.shutDown()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.shutDown()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.pump(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.closing = true
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let command = event as? SimulatorCommand else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch command {
        case .disconnect(.close(let code)):
            self.closeWithFrame(context: context, code: code, reason: "")
        case .disconnect(.reset):
            self.reset(context: context)
        case .fault(let fault):
            self.apply(fault, context: context)
        }
    }

    private func apply(_ fault: ConnectionFault, context: ChannelHandlerContext) {
        switch fault {
        case .reset:
            self.reset(context: context)
        case .close(let code):
            self.closeWithFrame(context: context, code: code, reason: "")
        case .stall(let answerPings):
            self.stalled = true
            self.answersPings = answerPings
            self.scheduledPump?.cancel()
            self.scheduledPump = nil
        case .slow(let delay):
            self.extraDelayNanos = DelaySampler.nanos(delay)
        case .garbage(let kind):
            guard !self.closing else { return }
            var buffer = context.channel.allocator.buffer(capacity: 256)
            GarbageFrameWriter.write(kind, combined: self.combined, stream: self.subscriptions.names.first, into: &buffer)
            context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
        case .duplicate(let count):
            self.duplicatesLeft += max(0, count)
        case .reorder(let count):
            self.reordersLeft += max(0, count)
        case .muteStream(let name):
            self.subscriptions.mute(name)
        case .skip(let count):
            self.skipsLeft += max(0, count)
        case .serverShutdown(let closeAfter):
            guard !self.closing else { return }
            let millis = ScheduleClock.unixNanos() / 1_000_000
            self.writeControlFrame(
                context: context, opcode: .text, payload: ByteBuffer(string: #"{"e":"serverShutdown","E":\#(millis)}"#))
            self.scheduledLifetimeEnd?.cancel()
            self.scheduledLifetimeEnd = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(closeAfter)) {
                self.closeWithFrame(context: context, code: 1001, reason: "server shutdown")
            }
        }
    }

    private func shutDown() {
        self.closing = true
        self.scheduledPump?.cancel()
        self.scheduledPump = nil
        self.scheduledPing?.cancel()
        self.scheduledPing = nil
        self.scheduledLifetimeEnd?.cancel()
        self.scheduledLifetimeEnd = nil
        if let registration = self.registration {
            self.core.closeSession(registration.id)
            self.registration = nil
        }
    }

    // MARK: - Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard self.admit(context: context) else { return }
            let text = String(buffer: frame.unmaskedData)
            self.handleControl(ControlMessage(text: text), context: context)
        case .ping:
            guard self.admit(context: context) else { return }
            guard !self.stalled || self.answersPings else { return }
            self.writeControlFrame(context: context, opcode: .pong, payload: frame.unmaskedData)
        case .pong:
            _ = self.admit(context: context)
        case .connectionClose:
            if self.closing {
                context.close(promise: nil)
            } else {
                var payload = frame.unmaskedData
                let code = payload.readInteger(as: UInt16.self) ?? 1000
                self.closeWithFrame(context: context, code: code, reason: "")
            }
        default:
            break
        }
    }

    /// Counts an incoming frame against Binance's rate limit; closes with 1008 when exceeded.
    private func admit(context: ChannelHandlerContext) -> Bool {
        guard !self.closing else { return false }
        guard var limiter = self.rateLimiter else { return true }
        let admitted = limiter.admit(at: .now())
        self.rateLimiter = limiter
        if !admitted {
            self.closeWithFrame(context: context, code: 1008, reason: "Too many requests")
        }
        return admitted
    }

    private func handleControl(_ message: ControlMessage, context: ChannelHandlerContext) {
        let reply: String
        switch message {
        case .subscribe(let names, let id):
            self.subscriptions.subscribe(names)
            reply = ControlMessage.nullResult(id: id)
        case .unsubscribe(let names, let id):
            self.subscriptions.unsubscribe(names)
            reply = ControlMessage.nullResult(id: id)
        case .listSubscriptions(let id):
            reply = ControlMessage.listResult(self.subscriptions.names, id: id)
        case .setCombined(let value, let id):
            self.combined = value
            reply = ControlMessage.nullResult(id: id)
        case .getCombined(let id):
            reply = ControlMessage.boolResult(self.combined, id: id)
        case .invalid(let code, let text, let id):
            reply = ControlMessage.error(code: code, message: text, id: id)
        }
        self.writeControlFrame(context: context, opcode: .text, payload: ByteBuffer(string: reply))
    }

    // MARK: - Outbound control frames

    private func writeControlFrame(context: ChannelHandlerContext, opcode: FrameOpcode, payload: ByteBuffer) {
        guard !self.closing else { return }
        var buffer = context.channel.allocator.buffer(capacity: payload.readableBytes + 10)
        buffer.writeWebSocketFrame(opcode: opcode, payload: payload)
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
    }

    private func closeWithFrame(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard !self.closing else { return }
        self.closing = true
        self.scheduledPump?.cancel()
        self.scheduledPing?.cancel()
        var buffer = context.channel.allocator.buffer(capacity: 4 + reason.utf8.count)
        buffer.writeWebSocketCloseFrame(code: code, reason: reason)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Aborts the TCP connection: `SO_LINGER` 0 makes `close` send RST. The close is issued below any TLS
    /// handler so no `close_notify` exchange softens the abort.
    private func reset(context: ChannelHandlerContext) {
        self.closing = true
        self.scheduledPump?.cancel()
        self.scheduledPing?.cancel()
        let channel = context.channel
        if let provider = channel as? SocketOptionProvider {
            _ = provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        if let tlsContext = try? context.pipeline.syncOperations.context(handlerType: NIOSSLServerHandler.self) {
            tlsContext.close(promise: nil)
        } else {
            channel.close(promise: nil)
        }
    }

    private func schedulePing(context: ChannelHandlerContext) {
        let interval = TimeAmount(self.core.configuration.pingInterval)
        guard interval.nanoseconds > 0 else { return }
        self.scheduledPing = context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            guard !self.closing else { return }
            let millis = ScheduleClock.unixNanos() / 1_000_000
            if self.stalled {
                self.schedulePing(context: context)
                return
            }
            self.writeControlFrame(context: context, opcode: .ping, payload: ByteBuffer(string: String(millis)))
            self.schedulePing(context: context)
        }
    }

    // MARK: - Pump

    private func pump(context: ChannelHandlerContext) {
        if self.pumping {
            self.pumpRequested = true
            return
        }
        self.pumping = true
        defer { self.pumping = false }
        repeat {
            self.pumpRequested = false
            self.pumpOnce(context: context)
        } while self.pumpRequested && !self.closing
    }

    private func pumpOnce(context: ChannelHandlerContext) {
        self.scheduledPump?.cancel()
        self.scheduledPump = nil
        guard !self.closing, !self.stalled, let sampler = self.sampler else { return }
        guard let clock = self.clock ?? self.core.clock else {
            self.scheduleNextPump(context: context, at: NIODeadline.now() + .milliseconds(1))
            return
        }
        self.clock = clock
        guard context.channel.isWritable else { return }

        let now = clock.offset(of: .now())
        let end = self.schedule.count ?? Int.max
        let wallClockBase = clock.wallClockNanos
        let firstSends = self.core.firstSends
        let logging = self.registration?.log != nil || firstSends != nil
        let subscribed = self.subscriptions.flags
        var batch = context.channel.allocator.buffer(capacity: 16 * 1024)
        var wakeAt: Int64?
        var batchFull = false

        while true {
            if batch.readableBytes >= Self.maximumBatchBytes {
                batchFull = true
                break
            }
            if let pending = self.pending {
                guard pending.sendAt <= now else {
                    wakeAt = pending.sendAt
                    break
                }
                self.pending = nil
                self.send(pending.index, wallClockBase: wallClockBase, logging: logging, into: &batch)
                continue
            }
            guard self.cursor < end else { break }
            let due = self.schedule.dueOffset(self.cursor)
            guard due <= now else {
                wakeAt = due
                break
            }
            let index = self.cursor
            self.cursor += 1
            guard subscribed[self.schedule.streamID(index)], !sampler.drops(index) else {
                continue
            }
            if self.skipsLeft > 0 {
                self.skipsLeft -= 1
                continue
            }
            let sendAt = max(self.lastSendAt, due + sampler.delayNanos(index) + self.extraDelayNanos)
            self.lastSendAt = sendAt
            guard sendAt <= now else {
                self.pending = (index, sendAt)
                wakeAt = sendAt
                break
            }
            self.send(index, wallClockBase: wallClockBase, logging: logging, into: &batch)
        }

        if batch.readableBytes > 0 {
            // The first-send stamp is taken just before the batch goes to the socket; the log is filled after,
            // so its lock is never between the stamp and the write.
            let sentAt = firstSends != nil ? ScheduleClock.unixNanos() : 0
            context.writeAndFlush(Self.wrapOutboundOut(batch), promise: nil)
            if logging {
                if let log = self.registration?.log { log.append(contentsOf: self.sentBatch) }
                firstSends?.record(self.sentBatch, at: sentAt)
                self.sentBatch.removeAll(keepingCapacity: true)
            }
        }
        self.core.noteProduced(upTo: self.cursor)

        guard !self.closing, context.channel.isWritable else { return }
        if batchFull {
            self.scheduleNextPump(context: context, at: .now())
        } else if let wakeAt {
            let earliest = now + self.batchWindowNanos
            let latest = now + Self.maximumSleepNanos
            self.scheduleNextPump(context: context, at: clock.deadline(atOffset: min(max(wakeAt, earliest), latest)))
        }
    }

    /// Writes message `index` into the batch, applying the duplicate and reorder faults.
    @inline(__always)
    private func send(_ index: Int, wallClockBase: Int64, logging: Bool, into batch: inout ByteBuffer) {
        if self.reordersLeft > 0, self.heldBack == nil {
            self.heldBack = index
            return
        }
        self.writeMessage(index, wallClockBase: wallClockBase, logging: logging, into: &batch)
        if let held = self.heldBack {
            self.heldBack = nil
            self.reordersLeft -= 1
            self.writeMessage(held, wallClockBase: wallClockBase, logging: logging, into: &batch)
        }
    }

    @inline(__always)
    private func writeMessage(_ index: Int, wallClockBase: Int64, logging: Bool, into batch: inout ByteBuffer) {
        let copies = self.duplicatesLeft > 0 ? 2 : 1
        if copies == 2 { self.duplicatesLeft -= 1 }
        for _ in 0..<copies {
            self.schedule.writeFrame(index, combined: self.combined, wallClockBaseNanos: wallClockBase, into: &batch)
            if logging { self.sentBatch.append(index) }
        }
    }

    private func scheduleNextPump(context: ChannelHandlerContext, at deadline: NIODeadline) {
        self.scheduledPump = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.scheduledPump = nil
            self.pump(context: context)
        }
    }
}
