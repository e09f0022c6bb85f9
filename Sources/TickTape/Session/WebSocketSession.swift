import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// One of a capture's N connections: connects, upgrades to WebSocket, feeds its ring, watches
/// for silence, rotates before the exchange's 24 h cut, and reconnects with backoff inside the
/// shared attempt budget, forever, until stopped.
///
/// Every mutable field is confined to ``eventLoop``; public entry points hop onto it. The ring
/// has exactly one producer across reconnects and rotations because every channel the session
/// opens is bootstrapped on that same loop: during a make-before-break rotation the old and
/// the new channel both push from this one thread.
public final class WebSocketSession: @unchecked Sendable, SessionEvents {
    public let capture: String
    public let index: Int
    public let eventLoop: any EventLoop
    public let statistics: ConnectionStatistics
    let ring: SPSCRing<InboundFrame>

    var config: CaptureConfig
    let tls: NIOSSLContext?
    let budget: ConnectAttemptBudget
    let rotationGate: RotationGate
    var logger: Logger
    let userAgent: String

    enum State { case idle, connecting, open, waiting, stopped }
    enum Role { case primary, replacement }
    var state = State.idle
    var channel: (any Channel)?
    var frameHandlerContext: ChannelHandlerContext?
    var backoff: ReconnectBackoff
    var staleCheck: Scheduled<Void>?
    var retry: Scheduled<Void>?
    var framesAtLastCheck = 0
    var lastProgressAt: Int64 = 0
    var openedAt: Int64 = 0
    var lastCloseReason = ""
    var budgetWarned = false
    var stopPromise: EventLoopPromise<Void>?

    // Make-before-break rotation.
    var replacement: (any Channel)?
    var replacementReady = false
    var rotationReason = ""
    var rotationTimer: Scheduled<Void>?
    var rotationDeadline: Scheduled<Void>?
    /// The link a promotion retired: it feeds the ring for ``rotationOverlap`` more, then
    /// closes; ``stop()`` closes it at once and waits for it like the others.
    var retiring: (any Channel)?
    var skipLoggedAt: Int64 = 0
    var skipsSuppressed = 0

    /// Test seam: told of the moments a test must act at (on the loop, synchronously, so the
    /// test can close a channel or stop the session exactly there). Nil in production.
    var testObserver: (@Sendable (SessionTestEvent) -> Void)?
    /// Test seam: a link's completion waits for the returned future (nil: no wait), so a test
    /// can put an event, such as the channel closing, before it. Nil in production.
    var testCompletionGate: (@Sendable ((any Channel)?) -> EventLoopFuture<Void>?)?

    /// How long the old link keeps feeding the ring after its replacement delivered: copies
    /// overlap (the merger drops the duplicates), so no message falls between the two.
    static let rotationOverlap = TimeAmount.milliseconds(500)

    init(
        capture: CaptureConfig,
        index: Int,
        eventLoop: any EventLoop,
        ring: SPSCRing<InboundFrame>,
        statistics: ConnectionStatistics,
        tls: NIOSSLContext?,
        budget: ConnectAttemptBudget,
        rotationGate: RotationGate = RotationGate(),
        logger: Logger
    ) {
        self.capture = capture.name
        self.index = index
        self.eventLoop = eventLoop
        self.ring = ring
        self.statistics = statistics
        self.config = capture
        self.tls = tls
        self.budget = budget
        self.rotationGate = rotationGate
        var logger = logger
        logger[metadataKey: "capture"] = "\(capture.name)"
        logger[metadataKey: "connection"] = "\(index)"
        self.logger = logger
        self.backoff = ReconnectBackoff(initial: capture.backoffInitial, maximum: capture.backoffMax)
        self.userAgent = "ticktape/\(TickTapeVersion.current) conn/\(index)"
    }

    /// Starts connecting.
    public func start() {
        eventLoop.execute { [self] in
            guard state == .idle else { return }
            connect()
        }
    }

    /// Applies settings that change live (timeouts, backoff, staleness, rotation age). Endpoint
    /// changes need a new session.
    public func update(_ newConfig: CaptureConfig) {
        eventLoop.execute { [self] in
            config = newConfig
            backoff.initial = newConfig.backoffInitial
            backoff.maximum = newConfig.backoffMax
        }
    }

    /// Closes the connection (with a close handshake when open) and stops reconnecting.
    /// Completes once the socket is closed, so no frame can reach the ring afterwards.
    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in stopOnLoop() }
    }

    /// ``stop()``, already on the loop and at once: a test stops at an exact point with it.
    func stopOnLoop() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        if state == .stopped, stopPromise == nil { return eventLoop.makeSucceededVoidFuture() }
        state = .stopped
        retry?.cancel()
        staleCheck?.cancel()
        // Every link this session has open closes now: a replacement that is upgraded but
        // has not delivered yet would otherwise stay open, and this stop wait for it forever.
        let pendingReplacement = replacement
        abandonRotation()
        let retired = retiring
        if let retired { Self.close(retired) }
        let others = [pendingReplacement, retired].compactMap { $0?.closeFuture }
        guard let channel else {
            return EventLoopFuture.andAllComplete(others, on: eventLoop)
        }
        let promise = stopPromise ?? eventLoop.makePromise()
        stopPromise = promise
        if let ctx = frameHandlerContext, let handler = try? channel.pipeline.syncOperations.handler(type: FrameHandler.self) {
            handler.initiateClose(context: ctx, code: 1000)
        }
        // Give the server a moment to answer the close frame, then close regardless.
        eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
        let closes = [channel.closeFuture] + others
        EventLoopFuture.andAllComplete(closes, on: eventLoop).whenComplete { _ in promise.succeed() }
        return promise.futureResult
    }

    /// The links of this session still open (current, replacement, retiring); on the loop.
    var activeLinks: [any Channel] {
        [channel, replacement, retiring].compactMap { $0 }.filter(\.isActive)
    }

    // MARK: Connecting

    func connect() {
        guard state != .stopped else { return }
        if let wait = budget.acquire() {
            if !budgetWarned {
                logger.warning(
                    "connection attempt budget exhausted; waiting",
                    metadata: ["wait": "\(HumanDuration.formatForLog(wait))"])
                budgetWarned = true
            }
            schedule(after: wait + Self.spread(wait))
            return
        }
        budgetWarned = false
        state = .connecting
        openLink(.primary)
    }

    func opened() {
        guard state == .connecting else {
            channel?.close(promise: nil)
            return
        }
        // The channel can close between the upgrade and this completion (which crosses a task
        // hop): ``closed(_:)`` then had nothing open to reconnect, so the retry starts here.
        guard let channel, channel.isActive else {
            failedToOpen("the connection closed during the handshake", refusal: UpgradeRefusal())
            return
        }
        state = .open
        openedAt = WallClock.monotonicNanos()
        lastProgressAt = openedAt
        framesAtLastCheck = statistics.framesReceived.load(ordering: .relaxed)
        statistics.connects.bump()
        statistics.connected.store(true, ordering: .relaxed)
        frameHandlerContext = try? channel.pipeline.syncOperations.context(handlerType: FrameHandler.self)
        testObserver?(.opened)
        logger.info("connected", metadata: ["url": "\(config.endpoint.url)"])
        if !config.subscribe.isEmpty { sendSubscribe(channel) }
        scheduleStaleCheck()
        scheduleAgeRotation()
    }

    func failedToOpen(_ reason: String, refusal: UpgradeRefusal) {
        guard state != .stopped else { return }
        channel?.close(promise: nil)
        channel = nil
        state = .waiting
        var delay = backoff.nextDelay()
        if let wait = backOffDemanded(by: refusal) { delay = max(delay, wait + Self.spread(wait)) }
        logger.warning(
            "connect failed",
            metadata: [
                "url": "\(config.endpoint.url)", "error": "\(reason)", "retry_in": "\(HumanDuration.formatForLog(delay))",
            ])
        schedule(after: delay)
    }

    /// For a 429 or 418: how long the exchange wants every connection from this IP to stay
    /// away (its `Retry-After`, else a conservative default), after closing the shared budget
    /// for that long.
    func backOffDemanded(by refusal: UpgradeRefusal) -> Duration? {
        guard refusal.isBackOff else { return nil }
        let wait = refusal.retryAfter ?? (refusal.status == 418 ? .seconds(120) : .seconds(30))
        statistics.backOffs.bump()
        budget.block(for: wait)
        return wait
    }

    /// A random extra wait for sessions released together (budget, `Retry-After`): up to an
    /// eighth of the wait, between 10 ms and 5 s, so they never reconnect as one burst.
    static func spread(_ wait: Duration) -> Duration {
        let ceiling = min(max(wait.nanoseconds / 8, 10_000_000), 5_000_000_000)
        return .nanoseconds(Int64.random(in: 0...ceiling))
    }

    func closed(_ closedChannel: any Channel) {
        if closedChannel === replacement {
            replacement = nil
            if state == .open { rotationFailed(nil, reason: lastCloseReason.isEmpty ? "replacement closed" : lastCloseReason, refusal: nil) }
            return
        }
        guard closedChannel === channel else { return }
        if state == .open, replacementReady, let next = replacement {
            // The old link died while its replacement was already up: the replacement takes over.
            lastCloseReason = ""
            promote(next, closingOld: nil)
            return
        }
        channel = nil
        frameHandlerContext = nil
        staleCheck?.cancel()
        abandonRotation()
        let wasOpen = state == .open
        if wasOpen {
            statistics.connected.store(false, ordering: .releasing)
            statistics.disconnects.bump()
        }
        if state == .stopped {
            logger.info("disconnected (stopping)")
            stopPromise = nil
            return
        }
        if wasOpen {
            let lived = Double(WallClock.monotonicNanos() - openedAt) / 1e9
            // A connection that delivered for a while earns a fresh backoff.
            if lived > 10 { backoff.reset() }
            let delay = backoff.nextDelay()
            logger.warning(
                "disconnected; reconnecting",
                metadata: [
                    "reason": "\(lastCloseReason.isEmpty ? "connection closed" : lastCloseReason)",
                    "after": "\(HumanDuration.formatForLog(delay))",
                ])
            lastCloseReason = ""
            state = .waiting
            schedule(after: delay)
        }
    }

    func schedule(after delay: Duration) {
        retry?.cancel()
        state = state == .stopped ? .stopped : .waiting
        retry = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            if state == .waiting { connect() }
        }
    }

    // MARK: SessionEvents

    func serverClosed(_ channel: any Channel, code: UInt16?, reason: String) {
        guard channel === self.channel else { return }
        lastCloseReason = "server closed with \(code.map(String.init) ?? "no code")\(reason.isEmpty ? "" : " (\(reason))")"
    }

    func failed(_ channel: any Channel, _ error: any Error) {
        guard channel === self.channel else { return }
        lastCloseReason = "\(error)"
    }

    func firstFrame(_ channel: any Channel) {
        guard channel === replacement, state == .open else { return }
        promote(channel, closingOld: self.channel)
    }

    func serverShutdown(_ channel: any Channel) {
        guard channel === self.channel else { return }
        logger.notice("the exchange announced a server shutdown; rotating now")
        rotationTimer?.cancel()
        rotationTimer = eventLoop.scheduleTask(in: .milliseconds(Int64.random(in: 0...100))) { [self] in
            beginRotation(reason: "serverShutdown", urgent: true)
        }
    }

    func skippedFrame(_ channel: any Channel, kind: String, payload: ByteBuffer) {
        let now = WallClock.monotonicNanos()
        guard now - skipLoggedAt > 5_000_000_000 else {
            skipsSuppressed += 1
            return
        }
        skipLoggedAt = now
        let head = payload.getBytes(at: payload.readerIndex, length: min(32, payload.readableBytes)) ?? []
        logger.warning(
            "skipped a frame that cannot be market data",
            metadata: [
                "kind": "\(kind)", "bytes": "\(payload.readableBytes)",
                "head": "\(head.map { String($0, radix: 16) }.joined(separator: " "))",
                "suppressed": "\(skipsSuppressed)",
            ])
        skipsSuppressed = 0
    }
}
