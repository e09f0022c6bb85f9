import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Link bootstrap: one channel on the session's loop (TCP, TLS, HTTP upgrade, frame handler)
/// and the handling of its completion, for the first connection and for rotation replacements.
extension WebSocketSession {
    /// Opens one channel on this session's loop: TCP, TLS, HTTP upgrade, then the frame handler
    /// feeding the ring. `.replacement` links report their first frame (rotation).
    func openLink(_ role: Role) {
        let endpoint = config.endpoint
        let stamp = ReadStamp()
        let refusal = NIOLoopBoundBox(UpgradeRefusal(), eventLoop: eventLoop)
        let sessionRing = ring
        let stats = statistics
        let pingInterval = self.pingInterval
        let userAgent = self.userAgent
        let tls = self.tls
        let decoderLimit = FrameHandler.decoderLimit
        let loop = eventLoop
        let connectTimeout = TimeAmount.nanoseconds(config.connectTimeout.nanoseconds)
        let host = endpoint.host
        let isIPLiteral = host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
        // The channel the bootstrap created, for the completion that only sees a result.
        let created = NIOLoopBoundBox<(any Channel)?>(nil, eventLoop: eventLoop)
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
                                    reportsFirstFrame: role == .replacement, pingInterval: pingInterval))
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
                    created.value = channel
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
            created.value?.close(promise: nil)
        }
        future.flatMap { $0 }.hop(to: eventLoop).whenComplete { [self] result in
            handshakeDeadline.cancel()
            if let gate = testCompletionGate?(created.value) {
                gate.hop(to: eventLoop).whenComplete { [self] _ in linkCompleted(result, role: role, created: created.value, refusal: refusal.value) }
            } else {
                linkCompleted(result, role: role, created: created.value, refusal: refusal.value)
            }
        }
    }

    /// Handles the end of a link's connect and upgrade: on our loop, once per link.
    private func linkCompleted(_ result: Result<Bool, any Error>, role: Role, created: (any Channel)?, refusal: UpgradeRefusal) {
        let reason: String
        switch result {
        case .success(true):
            switch role {
            case .primary: opened()
            case .replacement: replacementOpened(created)
            }
            return
        case .success(false):
            reason = Self.describeRefusal(refusal)
        case .failure(let error):
            reason = "\(error)"
        }
        switch role {
        case .primary: failedToOpen(reason, refusal: refusal)
        case .replacement: rotationFailed(created, reason: reason, refusal: refusal)
        }
    }

    static func describeRefusal(_ refusal: UpgradeRefusal) -> String {
        guard let status = refusal.status else { return "the server refused the WebSocket upgrade" }
        var text = "the server refused the WebSocket upgrade with HTTP \(status)"
        if status == 429 { text += " (rate limited)" }
        if status == 418 { text += " (IP banned)" }
        if let wait = refusal.retryAfter { text += ", Retry-After \(HumanDuration.formatForLog(wait))" }
        return text
    }

    func linkCreated(_ channel: any Channel, role: Role) {
        // Runs on our loop inside the initializer.
        guard machine.linkCreated(channel, role: role) else {
            // Nobody waits for it any more: a stop (or the end of its rotation) came while TCP
            // was connecting.
            channel.close(promise: nil)
            return
        }
        if role == .primary {
            statistics.linkOpenedAt.store(Int(WallClock.realtimeNanos()), ordering: .relaxed)
            statistics.links.wrappingAdd(1, ordering: .releasing)
        }
        channel.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in closed(channel) }
    }

    func sendSubscribe(_ channel: any Channel) {
        let params = config.subscribe.map { "\"\($0)\"" }.joined(separator: ",")
        var buffer = channel.allocator.buffer(capacity: 64 + params.utf8.count)
        buffer.writeString("{\"method\":\"SUBSCRIBE\",\"params\":[\(params)],\"id\":1}")
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        channel.writeAndFlush(frame, promise: nil)
    }
}
