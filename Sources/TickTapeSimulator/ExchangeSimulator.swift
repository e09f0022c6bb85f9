import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// A Binance-compatible market-stream WebSocket server on loopback, for tests, benchmarks and
/// `ticktape simulate`.
///
/// It serves the raw (`/ws/…`) and combined (`/stream?streams=…`) URL forms, optionally under `/public` or
/// `/market`, over `ws://` or `wss://`, answers `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` like Binance,
/// and replays one global message schedule to every connection with per-connection delay and drop profiles.
/// What each connection was sent is logged so a test can compare it with what the client received.
///
/// ```swift
/// var configuration = SimulatorConfiguration(source: .synthetic(.init(rate: 1_000)))
/// configuration.profiles = [.init(), .init(delay: .constant(.milliseconds(2)))]
/// let simulator = try ExchangeSimulator(configuration: configuration)
/// let port = try await simulator.start()
/// // connect to ws://127.0.0.1:\(port)/stream?streams=btcusdt@bookTicker …
/// try await simulator.stop()
/// ```
public final class ExchangeSimulator: Sendable {
    private struct Lifecycle {
        var serverChannel: (any Channel)?
        var started = false
        var stopped = false
    }

    private let core: SimulatorCore
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let sslContext: NIOSSLContext?
    private let lifecycle = Mutex(Lifecycle())
    private let logger = Logger(label: "ticktape.simulator")

    /// Prepares a simulator: validates the source, loads a recording completely into memory and reads the TLS
    /// files, so that ``start()`` cannot fail on input errors.
    ///
    /// - Parameter group: event loops for the server; by default the simulator runs its own group with one
    ///   loop per core and shuts it down in ``stop()``.
    public init(configuration: SimulatorConfiguration, group: (any EventLoopGroup)? = nil) throws {
        let schedule = try MessageSchedule(source: configuration.source, seed: configuration.seed)
        self.core = SimulatorCore(configuration: configuration, schedule: schedule)
        if let tls = configuration.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath)
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(key)
            )
            self.sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        } else {
            self.sslContext = nil
        }
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
            self.ownsGroup = true
        }
    }

    /// Binds the listener and returns the bound port (the ephemeral one when the configured port is 0).
    ///
    /// The schedule's clock does not start here but when the first client (or the first
    /// ``SimulatorConfiguration/startWhenConnected`` clients) connects, so no backlog is dumped on it.
    public func start() async throws -> Int {
        try self.lifecycle.withLock { lifecycle in
            guard !lifecycle.started, !lifecycle.stopped else { throw SimulatorError.alreadyStarted }
            lifecycle.started = true
        }
        let core = self.core
        let sslContext = self.sslContext
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, core: core, sslContext: sslContext)
                }
            }
            .bind(host: self.core.configuration.host, port: self.core.configuration.port)
            .get()
        self.lifecycle.withLock { $0.serverChannel = channel }
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw SimulatorError.noBoundPort
        }
        self.logger.debug("simulator listening", metadata: ["port": "\(port)", "tls": "\(sslContext != nil)"])
        return port
    }

    private static func configure(channel: any Channel, core: SimulatorCore, sslContext: NIOSSLContext?) throws {
        let operations = channel.pipeline.syncOperations
        if let sslContext {
            try operations.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<Void>(
            upgraders: [BinanceWebSocketUpgrader(core: core)],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NotFoundResponder())
                }
            }
        )
        _ = try operations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: upgradeConfiguration)
        )
    }

    /// Closes the listener and every open connection, then shuts down the event loops if the simulator
    /// created them. Safe to call more than once.
    public func stop() async throws {
        let (server, firstStop) = self.lifecycle.withLock { lifecycle -> ((any Channel)?, Bool) in
            defer {
                lifecycle.serverChannel = nil
                lifecycle.stopped = true
            }
            return (lifecycle.serverChannel, !lifecycle.stopped)
        }
        if let server {
            try? await server.close()
        }
        for channel in self.core.allChannels() {
            try? await channel.close()
        }
        if self.ownsGroup, firstStop {
            try await self.group.shutdownGracefully()
        }
    }

    /// Number of messages of the source schedule produced so far: the highest index any connection has
    /// reached, plus one. It stops at the source's length when a recording or a counted feed ends.
    public var messageCount: Int {
        self.core.producedCount
    }

    /// Indices (into the source schedule) of the data messages written to connection index `connection`, in
    /// order, across all its TCP sessions. Empty when ``SimulatorConfiguration/recordsSentMessages`` is off.
    public func sentMessages(connection: Int) -> [Int] {
        self.core.sentMessages(connection: connection)
    }

    /// The exact text of message `index` as a client receives it: the combined envelope or the bare payload.
    ///
    /// Synthetic `E`/`T` depend on the schedule's clock, so ask after the first client has connected.
    public func frame(message index: Int, combined: Bool) -> String {
        let wallClock = self.core.clock?.wallClockNanos ?? 0
        return self.core.schedule.text(index, combined: combined, wallClockBaseNanos: wallClock)
    }

    /// Stream names the source can deliver (`btcusdt@bookTicker`, …), in schedule order.
    public var streamNames: [String] {
        self.core.schedule.streamNames
    }

    /// Total number of messages in the source, `nil` for an endless synthetic feed.
    public var sourceMessageCount: Int? {
        self.core.schedule.count
    }

    /// Ends every open session of connection index `connection`, as an exchange or a network would.
    public func disconnect(connection: Int, how: DisconnectKind) {
        for channel in self.core.channels(connection: connection) {
            channel.pipeline.fireUserInboundEventTriggered(SimulatorCommand.disconnect(how))
        }
    }

    /// Number of WebSocket sessions currently open.
    public var activeConnections: Int {
        self.core.activeSessionCount
    }
}
