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

    private var config: CaptureConfig
    private let tls: NIOSSLContext?
    private let budget: ConnectAttemptBudget
    private let rotationGate: RotationGate
    private var logger: Logger
    private let userAgent: String

    private enum State { case idle, connecting, open, waiting, stopped }
    private enum Role { case primary, replacement }
    private var state = State.idle
    private var channel: (any Channel)?
    private var frameHandlerContext: ChannelHandlerContext?
    private var backoff: ReconnectBackoff
    private var staleCheck: Scheduled<Void>?
    private var retry: Scheduled<Void>?
    private var framesAtLastCheck = 0
    private var lastProgressAt: Int64 = 0
    private var openedAt: Int64 = 0
    private var lastCloseReason = ""
    private var budgetWarned = false
    private var stopPromise: EventLoopPromise<Void>?

    // Make-before-break rotation.
    private var replacement: (any Channel)?
    private var replacementReady = false
    private var rotationReason = ""
    private var rotationTimer: Scheduled<Void>?
    private var rotationDeadline: Scheduled<Void>?
    /// The link a promotion retired: it feeds the ring for ``rotationOverlap`` more, then
    /// closes; ``stop()`` closes it at once and waits for it like the others.
    private var retiring: (any Channel)?
    private var skipLoggedAt: Int64 = 0
    private var skipsSuppressed = 0

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
        eventLoop.flatSubmit { [self] in
            if state == .stopped, stopPromise == nil { return eventLoop.makeSucceededVoidFuture() }
            state = .stopped
            retry?.cancel()
            staleCheck?.cancel()
            // Every link this session has open closes now: a replacement that is upgraded but
            // has not delivered yet would otherwise stay open, and this stop wait for it forever.
            let pendingReplacement = replacement
            abandonRotation()
            let retired = retiring
            retiring = nil
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
    }

    // MARK: Connecting

    private func connect() {
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

    /// Opens one channel on this session's loop: TCP, TLS, HTTP upgrade, then the frame handler
    /// feeding the ring. `.replacement` links report their first frame (rotation).
    private func openLink(_ role: Role) {
        let endpoint = config.endpoint
        let stamp = ReadStamp()
        let refusal = UpgradeRefusal()
        let sessionRing = ring
        let stats = statistics
        let userAgent = self.userAgent
        let tls = self.tls
        let decoderLimit = FrameHandler.decoderLimit
        let loop = eventLoop
        let connectTimeout = TimeAmount.nanoseconds(config.connectTimeout.nanoseconds)
        let host = endpoint.host
        let isIPLiteral = host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
        let created = LinkBox()
        let future: EventLoopFuture<EventLoopFuture<Bool>> = eventLoop.makeFutureWithTask {
            let bootstrap = ClientBootstrap(group: loop)
                .connectTimeout(connectTimeout)
                .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            return try await bootstrap.connect(host: host, port: endpoint.port) { (channel: any Channel) -> EventLoopFuture<EventLoopFuture<Bool>> in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ReadStampHandler(stamp: stamp, forwardsEachRead: tls != nil))
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isIPLiteral ? nil : host))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: decoderLimit) { (channel: any Channel, _: HTTPResponseHead) in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64,
                                    maxAccumulatedFrameSize: decoderLimit),
                                FrameHandler(
                                    ring: sessionRing, stamp: stamp, stats: stats, events: self,
                                    reportsFirstFrame: role == .replacement))
                            return true
                        }
                    }
                    var headers = HTTPHeaders()
                    let defaultPort = endpoint.useTLS ? 443 : 80
                    headers.add(name: "Host", value: endpoint.port == defaultPort ? host : "\(host):\(endpoint.port)")
                    headers.add(name: "User-Agent", value: userAgent)
                    var pipelineConfig = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: .init(
                            upgradeRequestHead: .init(
                                version: .http1_1, method: .GET, uri: endpoint.requestURI, headers: headers),
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(false) }))
                    pipelineConfig.leftOverBytesStrategy = .forwardBytes
                    created.channel = channel
                    self.linkCreated(channel, role: role)
                    let upgraded = try sync.configureUpgradableHTTPClientPipeline(configuration: pipelineConfig)
                    let upgradeHandler = try sync.handler(type: NIOTypedHTTPClientUpgradeHandler<Bool>.self)
                    try sync.addHandler(UpgradeResponseObserver(refusal: refusal), position: .before(upgradeHandler))
                    return upgraded
                }
            }
        }
        // The bootstrap's timeout covers TCP only; TLS and the upgrade must finish in time too,
        // or a server that accepts and then says nothing would hold the slot forever.
        let handshakeDeadline = eventLoop.scheduleTask(in: connectTimeout) {
            created.channel?.close(promise: nil)
        }
        future.flatMap { $0 }.hop(to: eventLoop).whenComplete { [self] result in
            handshakeDeadline.cancel()
            if let gate = testCompletionGate?(created.channel) {
                gate.hop(to: eventLoop).whenComplete { [self] _ in linkCompleted(result, role: role, created: created, refusal: refusal) }
            } else {
                linkCompleted(result, role: role, created: created, refusal: refusal)
            }
        }
    }

    /// Handles the end of a link's connect and upgrade: on our loop, once per link.
    private func linkCompleted(_ result: Result<Bool, any Error>, role: Role, created: LinkBox, refusal: UpgradeRefusal) {
        let reason: String
        switch result {
        case .success(true):
            switch role {
            case .primary: opened()
            case .replacement: replacementOpened(created.channel)
            }
            return
        case .success(false):
            reason = Self.describeRefusal(refusal)
        case .failure(let error):
            reason = "\(error)"
        }
        switch role {
        case .primary: failedToOpen(reason, refusal: refusal)
        case .replacement: rotationFailed(created.channel, reason: reason, refusal: refusal)
        }
    }

    private static func describeRefusal(_ refusal: UpgradeRefusal) -> String {
        guard let status = refusal.status else { return "the server refused the WebSocket upgrade" }
        var text = "the server refused the WebSocket upgrade with HTTP \(status)"
        if status == 429 { text += " (rate limited)" }
        if status == 418 { text += " (IP banned)" }
        if let wait = refusal.retryAfter { text += ", Retry-After \(HumanDuration.formatForLog(wait))" }
        return text
    }

    private func linkCreated(_ channel: any Channel, role: Role) {
        // Runs on our loop inside the initializer.
        switch role {
        case .primary:
            self.channel = channel
            statistics.linkOpenedAt.store(Int(WallClock.realtimeNanos()), ordering: .relaxed)
            statistics.links.wrappingAdd(1, ordering: .releasing)
        case .replacement:
            self.replacement = channel
        }
        // A stop that came while TCP was connecting found no channel to close.
        if state == .stopped { channel.close(promise: nil) }
        channel.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in closed(channel) }
    }

    private func opened() {
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

    private func sendSubscribe(_ channel: any Channel) {
        let params = config.subscribe.map { "\"\($0)\"" }.joined(separator: ",")
        var buffer = channel.allocator.buffer(capacity: 64 + params.utf8.count)
        buffer.writeString("{\"method\":\"SUBSCRIBE\",\"params\":[\(params)],\"id\":1}")
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        channel.writeAndFlush(frame, promise: nil)
    }

    private func failedToOpen(_ reason: String, refusal: UpgradeRefusal) {
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
    private func backOffDemanded(by refusal: UpgradeRefusal) -> Duration? {
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

    private func closed(_ closedChannel: any Channel) {
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

    private func schedule(after delay: Duration) {
        retry?.cancel()
        state = state == .stopped ? .stopped : .waiting
        retry = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            if state == .waiting { connect() }
        }
    }

    // MARK: Rotation (make-before-break)

    private func scheduleAgeRotation() {
        rotationTimer?.cancel()
        let age = config.maxConnectionAge.nanoseconds
        let jitter = max(0, config.maxConnectionAgeJitter.nanoseconds)
        let due = max(age - Int64.random(in: 0...jitter), 1_000_000)
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(due)) { [self] in
            beginRotation(reason: "connection age \(HumanDuration.formatForLog(.nanoseconds(due)))", urgent: false)
        }
    }

    /// Opens a replacement link; the current one keeps delivering until the replacement's first
    /// frame arrives. One connection per capture rotates at a time (``RotationGate``), and the
    /// replacement's attempt is drawn from the shared budget like any other.
    private func beginRotation(reason: String, urgent: Bool) {
        guard state == .open, channel != nil, replacement == nil else { return }
        let retryIn: Duration
        if !rotationGate.tryAcquire(index) {
            retryIn = urgent ? .milliseconds(Int64.random(in: 50...250)) : .milliseconds(Int64.random(in: 1000...3000))
        } else if let wait = budget.acquire() {
            rotationGate.release(index)
            retryIn = wait + Self.spread(wait)
        } else {
            rotationReason = reason
            replacementReady = false
            logger.info("rotating connection (make-before-break)", metadata: ["reason": "\(reason)"])
            openLink(.replacement)
            let limit = config.connectTimeout + config.staleAfter
            rotationDeadline = eventLoop.scheduleTask(in: .nanoseconds(limit.nanoseconds)) { [self] in
                rotationFailed(replacement, reason: "the replacement delivered nothing within \(HumanDuration.formatForLog(limit))", refusal: nil)
            }
            return
        }
        rotationTimer?.cancel()
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(retryIn.nanoseconds)) { [self] in
            beginRotation(reason: reason, urgent: urgent)
        }
    }

    private func replacementOpened(_ link: (any Channel)?) {
        // The upgrade's completion runs after the reads that came with the 101 response: when
        // the stream needs no SUBSCRIBE, its first frame may already have promoted this link.
        if let link, link === channel, state == .open { return }
        guard let link, link === replacement, state == .open else {
            link?.close(promise: nil)
            return
        }
        replacementReady = true
        if !config.subscribe.isEmpty { sendSubscribe(link) }
        testObserver?(.replacementReady)
    }

    /// Makes `next` the session's link; the old one (if still open) feeds the ring for
    /// ``rotationOverlap`` more, then closes with 1000.
    private func promote(_ next: any Channel, closingOld old: (any Channel)?) {
        rotationDeadline?.cancel()
        rotationDeadline = nil
        channel = next
        replacement = nil
        replacementReady = false
        frameHandlerContext = try? next.pipeline.syncOperations.context(handlerType: FrameHandler.self)
        openedAt = WallClock.monotonicNanos()
        lastProgressAt = openedAt
        // Not a new connection for the merger's outage accounting: the old link delivered until now.
        statistics.rotations.bump()
        rotationGate.release(index)
        logger.info("rotated connection", metadata: ["reason": "\(rotationReason)"])
        let nextHandler = NIOLoopBound(try? next.pipeline.syncOperations.handler(type: FrameHandler.self), eventLoop: eventLoop)
        if let old {
            retiring = old
            old.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in
                if retiring === old { retiring = nil }
                nextHandler.value?.releaseHeld()
            }
            eventLoop.scheduleTask(in: Self.rotationOverlap) {
                let sync = old.pipeline.syncOperations
                if let context = try? sync.context(handlerType: FrameHandler.self),
                    let handler = try? sync.handler(type: FrameHandler.self)
                {
                    handler.initiateClose(context: context, code: 1000)
                }
            }
            eventLoop.scheduleTask(in: Self.rotationOverlap + .milliseconds(500)) { old.close(promise: nil) }
        } else {
            nextHandler.value?.releaseHeld()
        }
        scheduleAgeRotation()
    }

    private func rotationFailed(_ link: (any Channel)?, reason: String, refusal: UpgradeRefusal?) {
        guard state == .open, link == nil || link === replacement else {
            link?.close(promise: nil)
            return
        }
        abandonRotation()
        var retryIn = Duration.milliseconds(Int64.random(in: 500...2000))
        if let refusal, let wait = backOffDemanded(by: refusal) { retryIn = wait + Self.spread(wait) }
        logger.warning(
            "rotation failed; keeping the current connection",
            metadata: ["error": "\(reason)", "retry_in": "\(HumanDuration.formatForLog(retryIn))"])
        let rotateReason = rotationReason
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(retryIn.nanoseconds)) { [self] in
            beginRotation(reason: rotateReason, urgent: true)
        }
    }

    /// Ends any rotation in progress and closes its replacement. Closing here, not in each
    /// caller, is what keeps an upgraded replacement from outliving its rotation: once the
    /// deadline is cancelled nothing else would ever close it, and its frame handler would hold
    /// frames for good.
    private func abandonRotation() {
        rotationTimer?.cancel()
        rotationTimer = nil
        rotationDeadline?.cancel()
        rotationDeadline = nil
        let abandoned = replacement
        replacement = nil
        replacementReady = false
        rotationGate.release(index)
        if let abandoned { Self.close(abandoned) }
    }

    /// Closes a link now, sending a close frame first when it has a frame handler.
    private static func close(_ link: any Channel) {
        let sync = link.pipeline.syncOperations
        if let context = try? sync.context(handlerType: FrameHandler.self),
            let handler = try? sync.handler(type: FrameHandler.self)
        {
            handler.initiateClose(context: context, code: 1000)
        }
        link.close(promise: nil)
    }

    // MARK: Staleness

    private func scheduleStaleCheck() {
        let period = max(config.staleAfter.nanoseconds / 4, 10_000_000)
        staleCheck = eventLoop.scheduleTask(in: .nanoseconds(period)) { [self] in checkStale() }
    }

    private func checkStale() {
        guard state == .open, let channel else { return }
        if let reason = statistics.replacementRequest.withLock({ request in defer { request = nil }; return request }) {
            beginRotation(reason: reason, urgent: true)
        }
        let now = WallClock.monotonicNanos()
        let frames = statistics.framesReceived.load(ordering: .relaxed)
        if frames != framesAtLastCheck {
            framesAtLastCheck = frames
            lastProgressAt = now
        } else if now - lastProgressAt >= config.staleAfter.nanoseconds {
            statistics.staleEvents.bump()
            lastCloseReason = "no data for \(HumanDuration.formatForLog(config.staleAfter)) (stale)"
            logger.warning("connection is silent; closing it to reconnect", metadata: ["stale_after": "\(HumanDuration.formatForLog(config.staleAfter))"])
            if let ctx = frameHandlerContext, let handler = try? channel.pipeline.syncOperations.handler(type: FrameHandler.self) {
                handler.initiateClose(context: ctx, code: 1000)
            }
            channel.close(promise: nil)
            return
        }
        scheduleStaleCheck()
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

/// What ``WebSocketSession/testObserver`` is told.
enum SessionTestEvent: @unchecked Sendable {
    /// The first link is open and delivering is up to the server.
    case opened
    /// A rotation's replacement is upgraded (and subscribed); it has not delivered yet.
    case replacementReady
}

/// The channel a link's bootstrap created, for the completion that only sees a result.
private final class LinkBox: @unchecked Sendable {
    var channel: (any Channel)?
}
