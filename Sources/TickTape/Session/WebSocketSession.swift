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
/// Every mutable field is confined to ``eventLoop``; entry points hop onto it. The ring
/// has exactly one producer across reconnects and rotations because every channel the session
/// opens is bootstrapped on that same loop: during a make-before-break rotation the old and
/// the new channel both push from this one thread.
///
/// `@unchecked Sendable`: every mutable field is confined to ``eventLoop`` (entry points hop onto it); `NIOLoopBound` per field would add a check to each access of the loop's own state.
package final class WebSocketSession: @unchecked Sendable, SessionEvents {
    package let capture: String
    package let index: Int
    package let eventLoop: any EventLoop
    package let statistics: ConnectionStatistics
    /// Requests from the merger thread (stream watchdog): taken on each staleness check.
    let control: ConnectionControl
    /// How often each link pings for its round trip (nil: never).
    let pingInterval: Duration?
    let ring: SPSCRing<InboundFrame>

    var config: CaptureConfig
    let tls: NIOSSLContext?
    let budget: ConnectAttemptBudget
    let rotationGate: RotationGate
    /// Queued, written by the log thread: a busy journal must never stall this capture loop.
    let logger: DeferredLogger
    let userAgent: String

    typealias Role = SessionStateMachine.Role
    /// The session's life and every link it holds (``SessionStateMachine``): the one place
    /// transitions happen. The fields below are timers and bookkeeping, not state.
    var machine = SessionStateMachine()
    var backoff: ReconnectBackoff
    var staleCheck: Scheduled<Void>?
    var retry: Scheduled<Void>?
    var framesAtLastCheck = 0
    var lastProgressAt: Int64 = 0
    var openedAt: Int64 = 0
    var lastCloseReason = ""
    var budgetWarned = false
    /// Completes a stop: exists exactly while the machine is `stopping`.
    var stopPromise: EventLoopPromise<Void>?

    // Make-before-break rotation.
    var rotationReason = ""
    var rotationTimer: Scheduled<Void>?
    var rotationDeadline: Scheduled<Void>?
    /// Frames that cannot be market data: one line per 5 s at most.
    var skipLog = RateLimitedLog(every: .seconds(5))

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
        control: ConnectionControl = ConnectionControl(),
        pingInterval: Duration? = nil,
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
        self.control = control
        self.pingInterval = pingInterval
        self.config = capture
        self.tls = tls
        self.budget = budget
        self.rotationGate = rotationGate
        var logger = logger
        logger[metadataKey: "capture"] = "\(capture.name)"
        logger[metadataKey: "connection"] = "\(index)"
        self.logger = DeferredLogger(logger)
        self.backoff = ReconnectBackoff(initial: capture.backoffInitial, maximum: capture.backoffMax)
        self.userAgent = "ticktape/\(TickTapeVersion.current) conn/\(index)"
    }

    /// Starts connecting.
    package func start() {
        eventLoop.execute { [self] in
            guard case .idle = machine.state else { return }
            connect()
        }
    }

    /// Applies settings that change live (timeouts, backoff, staleness, rotation age). Endpoint
    /// changes need a new session.
    package func update(_ newConfig: CaptureConfig) {
        eventLoop.execute { [self] in
            config = newConfig
            backoff.initial = newConfig.backoffInitial
            backoff.maximum = newConfig.backoffMax
        }
    }

    /// Closes the connection (with a close handshake when open) and stops reconnecting.
    /// Completes once the socket is closed, so no frame can reach the ring afterwards.
    package func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in stopOnLoop() }
    }

    /// ``stop()``, already on the loop and at once: a test stops at an exact point with it.
    func stopOnLoop() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        if let stopPromise { return stopPromise.futureResult }
        if case .stopped = machine.state { return eventLoop.makeSucceededVoidFuture() }
        retry?.cancel()
        staleCheck?.cancel()
        rotationTimer?.cancel()
        rotationDeadline?.cancel()
        rotationGate.release(index)
        let current = machine.current
        let links = machine.stop()
        guard !links.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        stopPromise = promise
        // Every link this session holds closes now. The delivering one first says goodbye
        // (close 1000) and gets a moment to hear the answer; the others close at once: an
        // upgraded replacement that has not delivered would otherwise stay open forever.
        for link in links {
            if let current, link === current, let handler = Self.frameHandler(of: link) {
                handler.handler.initiateClose(context: handler.context, code: 1000)
                eventLoop.scheduleTask(in: .milliseconds(500)) { link.close(promise: nil) }
            } else {
                Self.close(link)
            }
        }
        return promise.futureResult
    }

    /// The links of this session still open (current, replacement, retiring); on the loop.
    var activeLinks: [any Channel] {
        machine.links.filter(\.isActive)
    }

    /// The frame handler of a link and its context, once the link is upgraded.
    static func frameHandler(of link: any Channel) -> (handler: FrameHandler, context: ChannelHandlerContext)? {
        let sync = link.pipeline.syncOperations
        guard let context = try? sync.context(handlerType: FrameHandler.self),
            let handler = try? sync.handler(type: FrameHandler.self)
        else { return nil }
        return (handler, context)
    }

    // MARK: Connecting

    func connect() {
        guard !machine.isStopped else { return }
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
        guard machine.beginConnecting() else { return }
        openLink(.primary)
    }

    func opened() {
        switch machine.primaryUpgraded(isActive: { $0.isActive }) {
        case .close(let link):
            link?.close(promise: nil)
        case .failed:
            // The channel can close between the upgrade and this completion (which crosses a
            // task hop): ``closed(_:)`` then had nothing open to reconnect, so the retry starts here.
            failedToOpen("the connection closed during the handshake", refusal: UpgradeRefusal())
        case .opened(let channel):
            openedAt = WallClock.monotonicNanos()
            lastProgressAt = openedAt
            framesAtLastCheck = statistics.framesReceived.load(ordering: .relaxed)
            statistics.connects.bump()
            statistics.connected.store(true, ordering: .relaxed)
            testObserver?(.opened)
            logger.info("connected", metadata: ["url": "\(config.endpoint.url)"])
            if !config.subscribe.isEmpty { sendSubscribe(channel) }
            scheduleStaleCheck()
            scheduleAgeRotation()
        }
    }

    func failedToOpen(_ reason: String, refusal: UpgradeRefusal) {
        let (link, retry) = machine.primaryFailed()
        link?.close(promise: nil)
        guard retry else { return }
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
        switch machine.closed(closedChannel) {
        case .none, .retired:
            return
        case .stopFinished:
            logger.info("disconnected (stopping)")
            let promise = stopPromise
            stopPromise = nil
            promise?.succeed()
        case .replacementClosed:
            rotationFailed(nil, reason: lastCloseReason.isEmpty ? "replacement closed" : lastCloseReason, refusal: nil, alreadyOver: true)
        case .promoted(let next):
            // The old link died while its replacement was already up: the replacement takes over.
            lastCloseReason = ""
            promote(next, closingOld: nil)
        case .disconnected(let abandoned):
            staleCheck?.cancel()
            endRotation(closing: abandoned)
            statistics.connected.store(false, ordering: .releasing)
            statistics.disconnects.bump()
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
            schedule(after: delay)
        }
    }

    func schedule(after delay: Duration) {
        retry?.cancel()
        guard machine.beginWaiting() else { return }
        retry = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            if case .waiting = machine.state { connect() }
        }
    }

    // MARK: SessionEvents

    func serverClosed(_ channel: any Channel, code: UInt16?, reason: String) {
        guard channel === machine.current else { return }
        lastCloseReason = "server closed with \(code.map(String.init) ?? "no code")\(reason.isEmpty ? "" : " (\(reason))")"
    }

    func failed(_ channel: any Channel, _ error: any Error) {
        guard channel === machine.current else { return }
        lastCloseReason = "\(error)"
    }

    func firstFrame(_ channel: any Channel) {
        guard let (next, old) = machine.replacementDelivered(channel) else { return }
        promote(next, closingOld: old)
    }

    func serverShutdown(_ channel: any Channel) {
        guard channel === machine.current else { return }
        logger.notice("the exchange announced a server shutdown; rotating now")
        rotationTimer?.cancel()
        rotationTimer = eventLoop.scheduleTask(in: .milliseconds(Int64.random(in: 0...100))) { [self] in
            beginRotation(reason: "serverShutdown", urgent: true)
        }
    }

    func skippedFrame(_ channel: any Channel, kind: String, payload: ByteBuffer) {
        skipLog.log(
            logger, .warning, "skipped a frame that cannot be market data",
            metadata: [
                "kind": "\(kind)", "bytes": "\(payload.readableBytes)",
                "head": "\((payload.getBytes(at: payload.readerIndex, length: min(32, payload.readableBytes)) ?? []).map { String($0, radix: 16) }.joined(separator: " "))",
            ])
    }
}
