import BinanceWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The one listener that serves the merged stream on this host (`[serve]`): the
/// Binance-compatible relay (WebSocket on Binance's paths), Binance's depth REST and
/// ticktape's JSON API, over HTTP/1.1, on event loops of its own so no client ever runs on a
/// capture's loop.
///
/// Limits: `max_clients` connections (the next gets 503 and is closed), `max_request_bytes`,
/// `idle_timeout`; with a `token_file` every request and upgrade needs the bearer token.
package final class ServeServer: Sendable {
    private let settings: ServeConfig
    private let router: ServeRouter
    private let hub: RelayHub
    private let token: BearerToken?
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)
    private let open = Atomic<Int>(0)
    /// Connections refused because `max_clients` were open, ever.
    package let refused = Atomic<Int>(0)

    /// Reads the token file (a listener reachable from other hosts refuses to exist without
    /// one: the configuration checks that, and an unreadable file fails here).
    package init(settings: ServeConfig, router: ServeRouter, hub: RelayHub, logger: Logger) throws(ServeError) {
        self.settings = settings
        self.router = router
        self.hub = hub
        self.logger = logger
        if let path = settings.tokenFile {
            token = try BearerToken(file: path)
        } else {
            token = nil
            if let listen = settings.listen, !listen.isLoopback {
                throw ServeError("[serve] listen = \"\(listen)\" is reachable from other hosts and needs token_file")
            }
        }
        // Threads of their own (named `NIO-ELT-…`), never a capture's pinned loop.
        group = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        // Below the capture's threads, like the relay thread.
        for loop in group.makeIterator() { loop.execute { ThreadPriority.lowerCurrentThread() } }
    }

    /// Binds and starts accepting; returns the bound port.
    package func start() async throws -> Int {
        guard let listen = settings.listen else { return 0 }
        let settings = self.settings
        let router = self.router
        let hub = self.hub
        let token = self.token
        let logger = self.logger
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { [self] in
                    let now = open.add(1, ordering: .relaxed).newValue
                    channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
                    guard now <= settings.maxClients else {
                        refused.add(1, ordering: .relaxed)
                        try channel.pipeline.syncOperations.addHandler(Refuse503())
                        return
                    }
                    try Self.configure(channel: channel, settings: settings, router: router, hub: hub, token: token, logger: logger)
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
        channel.withLock { $0 = bound }
        let port = bound.localAddress?.port ?? listen.port
        logger.notice(
            "serving the relay, depth REST and the API",
            metadata: [
                "listen": "\(ListenAddress(host: listen.host, port: port))",
                "authentication": "\(token == nil ? "none (loopback only)" : "bearer token")",
            ])
        return port
    }

    private static func configure(
        channel: any Channel, settings: ServeConfig, router: ServeRouter, hub: RelayHub, token: BearerToken?, logger: Logger
    ) throws {
        let idle = TimeAmount.nanoseconds(Int64(settings.idleTimeout.components.seconds) * 1_000_000_000)
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
        // Binance's stream paths, with the token when one is set, become relay clients.
        let upgrader = PreFramedWebSocketUpgrader(
            accepts: { head in
                StreamRequestPath(uri: head.uri) != nil
                    && token?.accepts(authorization: head.headers.first(name: "Authorization")) ?? true
            },
            makeHandler: { head in
                guard let path = StreamRequestPath(uri: head.uri) else { throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget }
                return RelayClientHandler(path: path, hub: hub, settings: settings, logger: logger)
            })
        let configuration = NIOTypedHTTPServerUpgradeConfiguration<Void>(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServeHTTPHandler(router: router, token: token, maxRequestBytes: settings.maxRequestBytes))
                }
            }
        )
        _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: configuration))
    }

    /// Connections open now.
    package var openConnections: Int { open.load(ordering: .relaxed) }

    /// Closes the listener and every connection.
    package func stop() async {
        let bound = channel.withLock { c in defer { c = nil }; return c }
        try? await bound?.close()
        await hub.closeAllClients()
        try? await group.shutdownGracefully()
    }
}

/// Answers a connection over `max_clients` with 503 and closes it.
private final class Refuse503: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 160)
        let body = #"{"error":"too many connections (max_clients)"}"#
        buffer.writeString(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nRetry-After: 5\r\n\r\n\(body)")
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
