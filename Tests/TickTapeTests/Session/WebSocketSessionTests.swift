import NIOCore
import NIOPosix
import Synchronization
import Testing
import TickTapeSimulator

@testable import TickTape

/// One `WebSocketSession` against the simulator, with the session's test seams putting an
/// event exactly where a timing window would otherwise have to be hit by luck.
@Suite(.serialized) struct WebSocketSessionTests {
    /// A simulator that accepts and upgrades every connection and then never sends a message
    /// (it waits for 99 connections before it starts): every link is open and silent.
    static func silentSimulator() async throws -> (ExchangeSimulator, Int) {
        var config = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(symbols: ["btcusdt"], rate: 1_000)))
        config.startWhenConnected = 99
        let simulator = try ExchangeSimulator(configuration: config)
        return (simulator, try await simulator.start())
    }

    /// A simulator that sends as soon as one connection is up.
    static func deliveringSimulator() async throws -> (ExchangeSimulator, Int) {
        var config = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(symbols: ["btcusdt"], rate: 2_000)))
        config.startWhenConnected = 1
        let simulator = try ExchangeSimulator(configuration: config)
        return (simulator, try await simulator.start())
    }

    static func makeSession(port: Int, loop: any EventLoop, maxConnectionAge: Duration = .seconds(3600)) throws -> WebSocketSession {
        let capture = CaptureConfig(
            name: "t", endpoint: try StreamEndpoint.parse("ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"),
            connections: 1, staleAfter: .seconds(600), connectTimeout: .seconds(5), backoffInitial: .milliseconds(10),
            backoffMax: .milliseconds(50), maxConnectionAge: maxConnectionAge, maxConnectionAgeJitter: .zero)
        return WebSocketSession(
            capture: capture, index: 0, eventLoop: loop, ring: SPSCRing(capacity: 1 << 16),
            statistics: ConnectionStatistics(index: 0), tls: nil,
            budget: ConnectAttemptBudget(limit: 100, window: .seconds(10)), logger: testLogger)
    }

    /// Stop during a rotation whose replacement is upgraded but has delivered nothing: the stop
    /// closes the replacement too and completes. Before the fix it waited for that replacement
    /// to close, which nothing would ever do.
    @Test func stopClosesAnUpgradedReplacementThatHasNotDelivered() async throws {
        let (simulator, port) = try await Self.silentSimulator()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let session = try Self.makeSession(port: port, loop: group.next(), maxConnectionAge: .milliseconds(50))
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        session.testObserver = { event in
            if case .replacementReady = event { readyContinuation.yield() }
        }
        session.start()
        let rotating = await finishes(within: .seconds(20)) {
            for await _ in ready { return }
        }
        try #require(rotating, "the replacement came up")
        let stopped = await finishes(within: .seconds(5)) { try? await session.stop().get() }
        #expect(stopped, "stop completed with a silent replacement open")
        try await group.shutdownGracefully()
        try await simulator.stop()
    }

    /// The channel closes after the upgrade but before the session handles the upgrade's
    /// completion: the session reconnects. Before the fix it stayed `.connecting` for good.
    @Test func aLinkClosedBeforeItsCompletionIsHandledReconnects() async throws {
        let (simulator, port) = try await Self.silentSimulator()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let session = try Self.makeSession(port: port, loop: group.next())
        let first = ClaimOnce()
        session.testCompletionGate = { channel in
            // The first link: close it, and handle the completion only once it is closed.
            guard let channel, first.claim() else { return nil }
            channel.close(promise: nil)
            return channel.closeFuture.map { _ in () }.recover { _ in () }
        }
        let (opened, openedContinuation) = AsyncStream<Void>.makeStream()
        session.testObserver = { event in
            if case .opened = event { openedContinuation.yield() }
        }
        session.start()
        let reconnected = await finishes(within: .seconds(10)) {
            for await _ in opened { return }
        }
        #expect(reconnected, "a second link opened after the first closed early")
        #expect(session.statistics.connects.load(ordering: .relaxed) == 1)
        _ = await finishes(within: .seconds(5)) { try? await session.stop().get() }
        try await group.shutdownGracefully()
        try await simulator.stop()
    }

    /// A stop issued exactly at each point of a rotation (on the loop, from the session's own
    /// report of that point) completes, and leaves none of the session's links open: the
    /// connecting replacement, the upgraded one that has not delivered, the retiring old link.
    @Test(arguments: [SessionTestEvent.rotationStarted, .replacementReady, .promoted])
    func aStopAtEachPointOfARotationClosesEveryLink(at point: SessionTestEvent) async throws {
        let (simulator, port) = try await Self.deliveringSimulator()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let session = try Self.makeSession(port: port, loop: group.next(), maxConnectionAge: .milliseconds(100))
        let once = ClaimOnce()
        let (stopped, stoppedContinuation) = AsyncStream<Void>.makeStream()
        session.testObserver = { event in
            guard event == point, once.claim() else { return }
            session.stopOnLoop().whenComplete { _ in stoppedContinuation.yield() }
        }
        session.start()
        let done = await finishes(within: .seconds(20)) {
            for await _ in stopped { return }
        }
        #expect(done, "the stop issued at \(point) completed")
        let open = try await session.eventLoop.submit { session.activeLinks.count }.get()
        #expect(open == 0, "no link left open after a stop at \(point)")
        try await group.shutdownGracefully()
        try await simulator.stop()
    }
}
