import BinanceWire
import Logging
import NIOCore
import NIOWebSocket

/// One replay connection after the upgrade: sends the stored stretch as Binance frames, paced
/// by ``ReplayClock`` deadlines (or as fast as the socket takes them at `max`), and answers
/// Binance's control messages (as the relay does) and ticktape's `REPLAY.*` ones.
///
/// Everything here runs on the connection's event loop and owns its state: the cursor, the
/// clock, the session state and the one timer. Sending is a pump: it writes every line that
/// is due, then either arms one timer at the next line's deadline, or waits for the socket to
/// become writable again (NIO's high water mark), so at `max` the client's reading is the only
/// limit and at most a write buffer's worth of frames is ever in memory.
final class ReplayClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    /// Lines due within this of now go out in the same write rather than arming a timer.
    static let lateness: Int64 = 20_000
    /// Bytes written per flush; at `max`, per turn of the event loop (other clients on the loop get theirs between).
    static let batchBytes = 256 << 10

    private let request: ReplayRequest
    private let dataDirectory: String
    private let logger: Logger
    private let pacing: ReplayPacingFigures?
    private var state: ReplaySessionState
    private var names: [String] = []
    private var combined: Bool
    private var speed: ReplaySpeed
    private var cursor: ReplayCursor?
    private var clock: ReplayClock?
    /// The recorded instant a pause stopped at (the resume's anchor).
    private var pausedAt: Int64?
    private var startAt: Int64?
    private var gaps: [ReplayGapNotice] = []
    private var timer: Scheduled<Void>?
    private var pumpQueued = false
    private var closing = false
    private var encoder = RelayFrameEncoder()
    private var context: ChannelHandlerContext?
    private var text = ByteBuffer()
    /// Data frames sent so far (REPLAY.STATUS).
    private var sent = 0
    private var lastStamp: Int64?

    init(request: ReplayRequest, dataDirectory: String, pacing: ReplayPacingFigures? = nil, logger: Logger) {
        self.request = request
        self.pacing = pacing
        self.dataDirectory = dataDirectory
        self.logger = logger
        self.combined = request.path.combined
        self.speed = request.speed
        self.state = .idle(paused: false)
        self.startAt = request.from
        for name in request.path.streams where !names.contains(name) { names.append(name) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if !names.isEmpty { perform(state.streamsChosen()) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        closing = true
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, state == .playing { pump() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            close(code: 1009, reason: "frame too large")
        } else {
            close(code: 1002, reason: "protocol error")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else { return }
        switch frame.opcode {
        case .text, .continuation:
            if frame.opcode == .text { text.clear() }
            var data = frame.unmaskedData
            guard text.readableBytes + data.readableBytes <= 64 << 10 else {
                close(code: 1009, reason: "message too large")
                return
            }
            text.writeBuffer(&data)
            guard frame.fin else { return }
            let message = String(buffer: text)
            if let replay = ReplayControl(text: message) {
                handleReplay(replay)
            } else {
                handleBinance(ControlMessage(text: message))
            }
        case .ping:
            let payload = frame.unmaskedData
            var pong = context.channel.allocator.buffer(capacity: 10 + payload.readableBytes)
            pong.writeWebSocketFrame(opcode: .pong, payload: payload)
            context.writeAndFlush(NIOAny(pong), promise: nil)
        case .pong:
            return
        case .connectionClose:
            close(code: 1000, reason: "")
        case .binary:
            close(code: 1003, reason: "binary frames are not accepted")
        default:
            close(code: 1002, reason: "unknown opcode")
        }
    }

    // MARK: Control

    private func handleBinance(_ message: ControlMessage) {
        let reply: String
        switch message {
        case .subscribe(let new, let id):
            if let bad = new.first(where: { !RelayClientHandler.isStreamName($0) }) {
                reply = ControlMessage.error(code: 2, message: "Invalid request: invalid stream \(bad)", id: id)
            } else {
                for name in new where !names.contains(name) { names.append(name) }
                // The reply goes before the first frame of the new stream, as on Binance.
                send(ControlMessage.nullResult(id: id))
                streamsChanged()
                return
            }
        case .unsubscribe(let old, let id):
            names.removeAll { old.contains($0) }
            send(ControlMessage.nullResult(id: id))
            streamsChanged()
            return
        case .listSubscriptions(let id):
            reply = ControlMessage.listResult(names, id: id)
        case .setCombined(let value, let id):
            combined = value
            reply = ControlMessage.nullResult(id: id)
        case .getCombined(let id):
            reply = ControlMessage.boolResult(combined, id: id)
        case .invalid(let code, let text, let id):
            reply = ControlMessage.error(code: code, message: text, id: id)
        }
        send(reply)
    }

    private func streamsChanged() {
        do {
            try cursor?.setStreams(Set(names))
        } catch {
            fail(error)
            return
        }
        if !names.isEmpty { perform(state.streamsChosen()) }
    }

    private func handleReplay(_ message: ReplayControl) {
        let now = Self.now()
        switch message {
        case .pause(let id):
            reply(state.pause(), id: id)
        case .resume(let id):
            reply(state.resume(), id: id)
        case .speed(let new, let id):
            if clock != nil {
                let next = cursor?.peek()?.stamp
                clock?.change(speed: new, wall: now, next: next)
            }
            speed = new
            send(ControlMessage.nullResult(id: id))
            if state == .playing { rearm() }
        case .seek(let nanos, let id):
            if let to = request.to, nanos > to {
                send(ControlMessage.error(code: 2, message: "Invalid request: seek time is after 'to'", id: id))
                return
            }
            timer?.cancel()
            timer = nil
            startAt = nanos
            cursor = nil
            clock = nil
            pausedAt = nil
            let action = state.seek()
            // The reply goes first: every data frame after it is from the new position.
            send(ControlMessage.nullResult(id: id))
            perform(action)
        case .status(let id):
            let position = cursor?.peek()?.stamp ?? lastStamp
            let body =
                #"{"state":""# + state.name + #"","speed":""# + speed.description + #"","sent":"# + String(sent)
                + #","position_ns":"# + (position.map { String($0) } ?? "null") + "}"
            send(#"{"result":"# + body + #","id":"# + id.json + "}")
        case .invalid(let code, let text, let id):
            send(ControlMessage.error(code: code, message: text, id: id))
        }
    }

    private func reply(_ action: ReplaySessionState.Action, id: ControlMessage.RequestID) {
        if case .reject(let message) = action {
            send(ControlMessage.error(code: 2, message: "Invalid request: \(message)", id: id))
            return
        }
        send(ControlMessage.nullResult(id: id))
        perform(action)
    }

    private func perform(_ action: ReplaySessionState.Action) {
        switch action {
        case .none, .reject: return
        case .pump: resumeClock(); pump()
        case .halt:
            timer?.cancel()
            timer = nil
            if let clock { pausedAt = clock.recordedTime(at: Self.now()) }
        }
    }

    /// Resuming after a pause continues from the recorded instant the pause stopped at.
    private func resumeClock() {
        if let pausedAt, clock != nil {
            clock?.reanchor(stamp: pausedAt, wall: Self.now())
            self.pausedAt = nil
        }
    }

    /// The speed changed while playing: the armed deadline is stale.
    private func rearm() {
        timer?.cancel()
        timer = nil
        pump()
    }

    // MARK: Sending

    private static func now() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds) }

    /// Builds the cursor on first use (and after a seek) from a fresh look at the files.
    private func ensureCursor() throws -> ReplayCursor {
        if let cursor { return cursor }
        let catalog = ReplayCatalog.scan(dataDirectory)
        let from = startAt ?? Int64.min
        let to = request.to ?? Int64.max
        let made = try ReplayCursor(catalog: catalog, from: from, to: to, streams: Set(names), snapshots: request.snapshots)
        cursor = made
        gaps = request.gaps ? ReplayGapNotice.pending(catalog, from: from, to: to) : []
        return made
    }

    /// Writes every line that is due, then arms the timer for the next one (or waits for writability).
    private func pump() {
        guard state == .playing, !closing, let context else { return }
        let channel = context.channel
        guard channel.isWritable else { return }
        let cursor: ReplayCursor
        do { cursor = try ensureCursor() } catch {
            fail(error)
            return
        }
        var out = channel.allocator.buffer(capacity: Self.batchBytes + (16 << 10))
        let now = Self.now()
        let wanted = Set(names)
        while true {
            let line: ReplayCursor.Line
            do {
                guard let next = cursor.peek() else {
                    announceGaps(upTo: .max, into: &out, wanted: wanted)
                    if out.readableBytes > 0 { context.writeAndFlush(NIOAny(out), promise: nil) }
                    finish()
                    return
                }
                line = next
            }
            if clock == nil { clock = ReplayClock(speed: speed, stamp: line.stamp, wall: now) }
            if case .factor = speed, let clock {
                let due = clock.deadline(of: line.stamp)
                if due > now + Self.lateness {
                    if out.readableBytes > 0 { context.writeAndFlush(NIOAny(out), promise: nil) }
                    arm(at: due)
                    return
                }
                pacing?.record(lateness: Self.now() - due)
            }
            if !gaps.isEmpty { announceGaps(upTo: line.stamp, into: &out, wanted: wanted) }
            cursor.withFrame { frame in append(line, frame: frame, into: &out) }
            sent += 1
            lastStamp = line.stamp
            do { try cursor.advance() } catch {
                fail(error)
                return
            }
            if out.readableBytes >= Self.batchBytes {
                context.writeAndFlush(NIOAny(out), promise: nil)
                guard channel.isWritable else { return }  // channelWritabilityChanged resumes
                // Let the loop's other channels run; continue on the next turn.
                queuePump(on: context.eventLoop)
                return
            }
        }
    }

    private func queuePump(on loop: any EventLoop) {
        guard !pumpQueued else { return }
        pumpQueued = true
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.execute {
            bound.value.pumpQueued = false
            bound.value.pump()
        }
    }

    private func arm(at due: Int64) {
        guard let context else { return }
        timer?.cancel()
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, due)))) {
            bound.value.timer = nil
            bound.value.pump()
        }
    }

    private func append(_ line: ReplayCursor.Line, frame: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        switch line.kind {
        case .data:
            encoder.reset(stream: line.stream, payload: frame)
            var encoded = combined ? encoder.combinedFrame() : encoder.rawFrame()
            out.writeBuffer(&encoded)
        case .snapshot, .other:
            out.writeWebSocketFrameHeader(opcode: .text, payloadLength: frame.count)
            out.writeBytes(frame)
        }
    }

    private func announceGaps(upTo stamp: Int64, into out: inout ByteBuffer, wanted: Set<String>) {
        while let first = gaps.first, first.at <= stamp {
            gaps.removeFirst()
            guard first.concerns(wanted) else { continue }
            out.writeWebSocketFrameHeader(opcode: .text, payloadLength: first.text.utf8.count)
            out.writeString(first.text)
        }
    }

    private func finish() {
        perform(state.reachedEnd())
        if !request.keepOpen { close(code: 1000, reason: "end of replay") }
    }

    private func send(_ reply: String) {
        guard let context, !closing else { return }
        var frame = context.channel.allocator.buffer(capacity: reply.utf8.count + 10)
        frame.writeWebSocketFrameHeader(opcode: .text, payloadLength: reply.utf8.count)
        frame.writeString(reply)
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    private func fail(_ error: any Error) {
        logger.error("replay failed reading the data", metadata: ["error": "\(error)"])
        close(code: 1011, reason: "cannot read the data")
    }

    private func close(code: UInt16, reason: String) {
        guard !closing, let context else { return }
        closing = true
        timer?.cancel()
        var frame = context.channel.allocator.buffer(capacity: 4 + reason.utf8.count)
        frame.writeWebSocketCloseFrame(code: code, reason: reason)
        let channel = context.channel
        context.writeAndFlush(NIOAny(frame)).whenComplete { _ in channel.close(promise: nil) }
    }
}
