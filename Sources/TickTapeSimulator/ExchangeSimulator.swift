import Foundation
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
package final class ExchangeSimulator: Sendable {
    private struct Lifecycle {
        var serverChannel: (any Channel)?
        var boundPort: Int?
        var started = false
        var stopped = false
        var faultTask: Task<Void, Never>?
        var wrongCertificate: NIOSSLContext?
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
    package init(configuration: SimulatorConfiguration, group: (any EventLoopGroup)? = nil) throws {
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
    package func start() async throws -> Int {
        try self.lifecycle.withLock { lifecycle in
            guard !lifecycle.started, !lifecycle.stopped else { throw SimulatorError.alreadyStarted }
            lifecycle.started = true
        }
        let port = try await self.bind(port: self.core.configuration.port)
        self.lifecycle.withLock { $0.boundPort = port }
        self.logger.debug("simulator listening", metadata: ["port": "\(port)", "tls": "\(self.sslContext != nil)"])
        if !self.core.configuration.faults.isEmpty {
            let script = self.core.configuration.faults
            let task = Task { [self] in await self.run(script) }
            self.lifecycle.withLock { $0.faultTask = task }
        }
        return port
    }

    private func bind(port: Int) async throws -> Int {
        let core = self.core
        let sslContext = self.sslContext
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    var context = sslContext
                    if context != nil, core.takeWrongCertificate() {
                        context = self.lifecycle.withLock { $0.wrongCertificate } ?? context
                    }
                    try Self.configure(channel: channel, core: core, sslContext: context)
                }
            }
            .bind(host: self.core.configuration.host, port: port)
            .get()
        self.lifecycle.withLock { $0.serverChannel = channel }
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw SimulatorError.noBoundPort
        }
        return port
    }

    private static func configure(channel: any Channel, core: SimulatorCore, sslContext: NIOSSLContext?) throws {
        let operations = channel.pipeline.syncOperations
        if let sslContext {
            try operations.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        let refusal = HandshakeRefusal()
        let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<Void>(
            upgraders: [BinanceWebSocketUpgrader(core: core, refusal: refusal)],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        RestResponder(core: core), NotFoundResponder(refusal: refusal))
                }
            }
        )
        _ = try operations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: upgradeConfiguration)
        )
    }

    /// Closes the listener and every open connection, then shuts down the event loops if the simulator
    /// created them. Safe to call more than once.
    package func stop() async throws {
        let (server, firstStop, faultTask) = self.lifecycle.withLock { lifecycle -> ((any Channel)?, Bool, Task<Void, Never>?) in
            defer {
                lifecycle.serverChannel = nil
                lifecycle.stopped = true
                lifecycle.faultTask = nil
            }
            return (lifecycle.serverChannel, !lifecycle.stopped, lifecycle.faultTask)
        }
        faultTask?.cancel()
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
    package var messageCount: Int {
        self.core.producedCount
    }

    /// Indices (into the source schedule) of the data messages written to connection index `connection`, in
    /// order, across all its TCP sessions. Empty when ``SimulatorConfiguration/recordsSentMessages`` is off.
    package func sentMessages(connection: Int) -> [Int] {
        self.core.sentMessages(connection: connection)
    }

    /// The exact text of message `index` as a client receives it: the combined envelope or the bare payload.
    ///
    /// Synthetic `E`/`T` depend on the schedule's clock, so ask after the first client has connected.
    package func frame(message index: Int, combined: Bool) -> String {
        let wallClock = self.core.clock?.wallClockNanos ?? 0
        return self.core.schedule.text(index, combined: combined, wallClockBaseNanos: wallClock)
    }

    /// Stream names the source can deliver (`btcusdt@bookTicker`, …), in schedule order.
    package var streamNames: [String] {
        self.core.schedule.streamNames
    }

    /// Total number of messages in the source, `nil` for an endless synthetic feed.
    package var sourceMessageCount: Int? {
        self.core.schedule.count
    }

    /// Ends every open session of connection index `connection`, as an exchange or a network would.
    package func disconnect(connection: Int, how: DisconnectKind) {
        for channel in self.core.channels(connection: connection) {
            channel.pipeline.fireUserInboundEventTriggered(SimulatorCommand.disconnect(how))
        }
    }

    /// Applies `fault` to every open session of connection index `connection`, or of every connection when
    /// `nil` (Binance disconnecting everything during an upgrade).
    package func inject(_ fault: ConnectionFault, connection: Int?) {
        let channels = connection.map { self.core.channels(connection: $0) } ?? self.core.allChannels()
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(SimulatorCommand.fault(fault))
        }
    }

    /// Makes the next `count` handshakes fail with `fault`: those of connection index `connection` for an
    /// HTTP status (`nil`: whichever connection comes first), the next TLS handshakes for a wrong
    /// certificate. A wrong certificate needs a TLS listener; its throw-away CA is minted on first use.
    package func failHandshakes(_ fault: HandshakeFault, connection: Int? = nil, count: Int = 1) throws {
        if fault == .wrongCertificate, self.sslContext != nil, self.lifecycle.withLock({ $0.wrongCertificate }) == nil {
            let directory = FileManager.default.temporaryDirectory.path + "/ticktape-wrong-ca-\(UInt64.random(in: 0...UInt64.max))"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let files = try TestCertificateAuthority.make(in: directory)
            let chain = try NIOSSLCertificate.fromPEMFile(files.certPath)
            let key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
            let context = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
            self.lifecycle.withLock { $0.wrongCertificate = context }
        }
        for _ in 0..<max(0, count) { self.core.addHandshakeFault(fault, connection: connection) }
    }

    /// Closes the listener for `duration`, so every connection attempt meanwhile is refused (`ECONNREFUSED`),
    /// then listens on the same port again. Open sessions are not touched.
    package func refuseConnections(for duration: Duration) async throws {
        let (server, port) = self.lifecycle.withLock { ($0.serverChannel, $0.boundPort) }
        guard let server, let port else { return }
        self.lifecycle.withLock { $0.serverChannel = nil }
        try? await server.close()
        try await Task.sleep(for: duration)
        guard !self.lifecycle.withLock({ $0.stopped }) else { return }
        _ = try await self.bind(port: port)
    }

    // MARK: - Order books and REST

    /// The true book of `symbol` (lowercase) right after the update whose `u` is `updateID`, rebuilt from the
    /// seed independently of the live feed (a fresh book stepped forward), with the best `limit` levels per
    /// side (all when `nil`). `nil` when the source has no such symbol or no update ends at that id (the
    /// initial book's id counts). Costs one replay of the symbol's updates so far.
    package func trueBook(symbol: String, atUpdateID updateID: UInt64, limit: Int? = nil) -> SimulatedDepth? {
        guard let feed = self.core.schedule.depth, let index = feed.configuration.symbols.firstIndex(of: symbol) else {
            return nil
        }
        var book = feed.initialBook(symbol: index)
        while book.lastUpdateID < updateID { _ = book.step() }
        return book.lastUpdateID == updateID ? book.depth(limit: limit) : nil
    }

    /// Starts the schedule's clock now, without waiting for a WebSocket client: for tests that only fetch REST
    /// snapshots but want the books to move.
    package func startClock() {
        self.core.startClock()
    }

    /// Makes the next book update of `symbol` (every symbol when `nil`) change the book without being
    /// published on any stream: a chain break that every connection sees, so a client must resync. Logged in
    /// ``chainBreaks``.
    package func breakChain(symbol: String? = nil) {
        guard let feed = self.core.schedule.depth else { return }
        if let symbol {
            guard let index = feed.configuration.symbols.firstIndex(of: symbol) else { return }
            feed.breakChain(symbol: index)
        } else {
            feed.breakChain(symbol: nil)
        }
    }

    /// Every unpublished update so far (configured ``SyntheticDepthBook/chainBreaks`` and ``breakChain(symbol:)``),
    /// in order.
    package var chainBreaks: [ChainBreak] {
        self.core.schedule.depth?.chainBreaks ?? []
    }

    /// What the REST depth endpoint of `market` has served so far.
    package func restStatistics(_ market: SimulatedMarket) -> RestStatistics {
        self.core.rest.statistics(market)
    }

    /// Applies `fault` to the next `count` REST depth requests (any market), in arrival order.
    package func failRestRequests(_ fault: RestFault, count: Int = 1) {
        self.core.rest.enqueue(fault, count: count)
    }

    /// Runs a fault script: its fixed steps, and random faults until stopped.
    private func run(_ script: FaultScript) async {
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for step in script.steps {
                group.addTask { [self] in
                    try? await Task.sleep(until: start + step.at)
                    guard !Task.isCancelled else { return }
                    await self.perform(step.action, connection: step.connection)
                }
            }
            if let random = script.random, !random.kinds.isEmpty, random.connections > 0 {
                group.addTask { [self] in
                    let seed = self.core.configuration.seed
                    let meanNanos = Double(DelaySampler.nanos(random.meanInterval))
                    var n: UInt64 = 0
                    while !Task.isCancelled {
                        let u = DeterministicRandom.unit(seed: seed, lane: 7_000_001, index: n)
                        try? await Task.sleep(for: .nanoseconds(Int64(-log1p(-u) * meanNanos)))
                        guard !Task.isCancelled else { return }
                        let pick = DeterministicRandom.value(seed: seed, lane: 7_000_002, index: n)
                        let fault = random.kinds[Int(pick % UInt64(random.kinds.count))]
                        let connection = Int((pick >> 32) % UInt64(random.connections))
                        self.logger.info("injecting fault", metadata: ["fault": "\(fault)", "connection": "\(connection)"])
                        await self.perform(.live(fault), connection: connection)
                        n += 1
                    }
                }
            }
        }
    }

    private func perform(_ action: FaultScript.Action, connection: Int?) async {
        switch action {
        case .live(let fault):
            self.inject(fault, connection: connection)
        case .handshake(let fault):
            try? self.failHandshakes(fault, connection: connection)
        case .refuse(let duration):
            try? await self.refuseConnections(for: duration)
        case .breakChain(let symbol):
            self.breakChain(symbol: symbol)
        case .rest(let fault):
            self.failRestRequests(fault)
        }
    }

    /// Writes the first-send log (``SimulatorConfiguration/recordsFirstSendTimes``) to `path`; call it after
    /// ``stop()`` so no pump is still sending. Returns the number of message indices written.
    ///
    /// Format, little-endian, columnar so a reader can map each column as one array:
    /// the 8 bytes `TTSEND01`, `u64` count `n`, then `n × u64` update id (`u` of a synthetic message, `0` for a
    /// recording), `n × i64` due time (Unix ns: the schedule's time base plus the message's offset),
    /// `n × i64` first send time (Unix ns, `0` = never sent), `n × u8` copies sent over all connections.
    /// Message `i` of the schedule is entry `i`. Times are `CLOCK_REALTIME`, taken once per pump batch just
    /// before the batch's write.
    @discardableResult
    package func writeSendLog(to path: String) throws -> Int {
        guard let firstSends = self.core.firstSends else { throw SimulatorError.sendLogNotRecorded }
        let log = firstSends.snapshot
        let count = log.firstNanos.count
        let schedule = self.core.schedule
        let base = self.core.clock?.wallClockNanos ?? 0
        var bytes = [UInt8](repeating: 0, count: 16 + count * 25)
        bytes.withUnsafeMutableBytes { out in
            for (offset, byte) in "TTSEND01".utf8.enumerated() { out[offset] = byte }
            out.storeBytes(of: UInt64(count).littleEndian, toByteOffset: 8, as: UInt64.self)
            for index in 0..<count {
                let id = schedule.syntheticUpdateID(index) ?? 0
                out.storeBytes(of: id.littleEndian, toByteOffset: 16 + index * 8, as: UInt64.self)
                let due = base &+ schedule.dueOffset(index)
                out.storeBytes(of: due.littleEndian, toByteOffset: 16 + count * 8 + index * 8, as: Int64.self)
                out.storeBytes(
                    of: log.firstNanos[index].littleEndian, toByteOffset: 16 + count * 16 + index * 8, as: Int64.self)
                out[16 + count * 24 + index] = log.copies[index]
            }
        }
        let data = Data(bytes)
        try data.write(to: URL(fileURLWithPath: path))
        return count
    }

    /// Number of WebSocket sessions currently open.
    package var activeConnections: Int {
        self.core.activeSessionCount
    }
}
