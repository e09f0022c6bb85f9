import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// One of a capture's N connections: connects, upgrades to WebSocket, feeds its ring, watches
/// for silence, and reconnects with backoff inside the shared attempt budget, forever, until
/// stopped.
///
/// Every mutable field is confined to ``eventLoop``; public entry points hop onto it. The ring
/// has exactly one producer across reconnects because the session never changes loops.
public final class WebSocketSession: @unchecked Sendable, SessionEvents {
    public let capture: String
    public let index: Int
    public let eventLoop: any EventLoop
    public let statistics: ConnectionStatistics
    let ring: SPSCRing<InboundFrame>

    private var config: CaptureConfig
    private let tls: NIOSSLContext?
    private let budget: ConnectAttemptBudget
    private var logger: Logger
    private let userAgent: String

    private enum State { case idle, connecting, open, waiting, stopped }
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

    init(
        capture: CaptureConfig,
        index: Int,
        eventLoop: any EventLoop,
        ring: SPSCRing<InboundFrame>,
        statistics: ConnectionStatistics,
        tls: NIOSSLContext?,
        budget: ConnectAttemptBudget,
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

    /// Applies settings that change live (timeouts, backoff, staleness). Endpoint changes
    /// need a new session.
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
            guard let channel else { return eventLoop.makeSucceededVoidFuture() }
            let promise = stopPromise ?? eventLoop.makePromise()
            stopPromise = promise
            if let ctx = frameHandlerContext, let handler = try? channel.pipeline.syncOperations.handler(type: FrameHandler.self) {
                handler.initiateClose(context: ctx, code: 1000)
            }
            // Give the server a moment to answer the close frame, then close regardless.
            eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
            channel.closeFuture.whenComplete { _ in promise.succeed() }
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
                    metadata: ["wait": "\(HumanDuration.format(wait))"])
                budgetWarned = true
            }
            schedule(after: wait)
            return
        }
        budgetWarned = false
        state = .connecting
        let endpoint = config.endpoint
        let stamp = ReadStamp()
        let sessionRing = ring
        let stats = statistics
        let userAgent = self.userAgent
        let tls = self.tls
        let maxFrame = 1 << 20
        let loop = eventLoop
        let connectTimeout = TimeAmount.nanoseconds(config.connectTimeout.nanoseconds)
        let host = endpoint.host
        let isIPLiteral = host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
        let future: EventLoopFuture<EventLoopFuture<Bool>> = eventLoop.makeFutureWithTask {
            let bootstrap = ClientBootstrap(group: loop)
                .connectTimeout(connectTimeout)
                .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            return try await bootstrap.connect(host: host, port: endpoint.port) { (channel: any Channel) -> EventLoopFuture<EventLoopFuture<Bool>> in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ReadStampHandler(stamp: stamp))
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isIPLiteral ? nil : host))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: maxFrame) { (channel: any Channel, _: HTTPResponseHead) in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64,
                                    maxAccumulatedFrameSize: maxFrame),
                                FrameHandler(ring: sessionRing, stamp: stamp, stats: stats, events: self))
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
                    self.channelCreated(channel)
                    return try sync.configureUpgradableHTTPClientPipeline(configuration: pipelineConfig)
                }
            }
        }
        future.flatMap { $0 }.hop(to: eventLoop).whenComplete { [self] result in
            switch result {
            case .success(true):
                opened()
            case .success(false):
                failedToOpen("the server refused the WebSocket upgrade (HTTP status other than 101)")
            case .failure(let error):
                failedToOpen("\(error)")
            }
        }
    }

    private func channelCreated(_ channel: any Channel) {
        // Runs on our loop inside the initializer.
        self.channel = channel
        channel.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in closed(channel) }
    }

    private func opened() {
        guard state == .connecting, let channel else {
            channel?.close(promise: nil)
            return
        }
        state = .open
        openedAt = WallClock.monotonicNanos()
        lastProgressAt = openedAt
        framesAtLastCheck = statistics.framesReceived.load(ordering: .relaxed)
        statistics.connects.bump()
        statistics.connected.store(true, ordering: .relaxed)
        frameHandlerContext = try? channel.pipeline.syncOperations.context(handlerType: FrameHandler.self)
        logger.info("connected", metadata: ["url": "\(config.endpoint.url)"])
        if !config.subscribe.isEmpty { sendSubscribe(channel) }
        scheduleStaleCheck()
    }

    private func sendSubscribe(_ channel: any Channel) {
        let params = config.subscribe.map { "\"\($0)\"" }.joined(separator: ",")
        var buffer = channel.allocator.buffer(capacity: 64 + params.utf8.count)
        buffer.writeString("{\"method\":\"SUBSCRIBE\",\"params\":[\(params)],\"id\":1}")
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        channel.writeAndFlush(frame, promise: nil)
    }

    private func failedToOpen(_ reason: String) {
        guard state != .stopped else { return }
        logger.warning("connect failed", metadata: ["url": "\(config.endpoint.url)", "error": "\(reason)"])
        channel?.close(promise: nil)
        channel = nil
        state = .waiting
        schedule(after: backoff.nextDelay())
    }

    private func closed(_ closedChannel: any Channel) {
        guard closedChannel === channel else { return }
        channel = nil
        frameHandlerContext = nil
        staleCheck?.cancel()
        let wasOpen = state == .open
        if wasOpen {
            statistics.connected.store(false, ordering: .relaxed)
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
                    "after": "\(HumanDuration.format(delay))",
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

    // MARK: Staleness

    private func scheduleStaleCheck() {
        let period = max(config.staleAfter.nanoseconds / 4, 10_000_000)
        staleCheck = eventLoop.scheduleTask(in: .nanoseconds(period)) { [self] in checkStale() }
    }

    private func checkStale() {
        guard state == .open, let channel else { return }
        let now = WallClock.monotonicNanos()
        let frames = statistics.framesReceived.load(ordering: .relaxed)
        if frames != framesAtLastCheck {
            framesAtLastCheck = frames
            lastProgressAt = now
        } else if now - lastProgressAt >= config.staleAfter.nanoseconds {
            statistics.staleEvents.bump()
            lastCloseReason = "no data for \(HumanDuration.format(config.staleAfter)) (stale)"
            logger.warning("connection is silent; closing it to reconnect", metadata: ["stale_after": "\(HumanDuration.format(config.staleAfter))"])
            if let ctx = frameHandlerContext, let handler = try? channel.pipeline.syncOperations.handler(type: FrameHandler.self) {
                handler.initiateClose(context: ctx, code: 1000)
            }
            channel.close(promise: nil)
            return
        }
        scheduleStaleCheck()
    }

    // MARK: SessionEvents

    func serverClosed(code: UInt16?, reason: String) {
        lastCloseReason = "server closed with \(code.map(String.init) ?? "no code")\(reason.isEmpty ? "" : " (\(reason))")"
    }

    func failed(_ error: any Error) {
        lastCloseReason = "\(error)"
    }
}
