import NIOCore
import NIOPosix
import Testing
import TickTapeSimulator

@testable import TickTape

/// Scheduler events as an async sequence, for tests that wait for a number of them.
func schedulerEvents() -> (stream: AsyncStream<SnapshotEvent>, handler: @Sendable (SnapshotEvent) -> Void) {
    let (stream, continuation) = AsyncStream.makeStream(of: SnapshotEvent.self)
    return (stream, { continuation.yield($0) })
}

@Suite("Snapshot scheduler against the simulator's weight accounting", .serialized)
struct SnapshotSchedulerTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    func setup(port: Int, limit: Int, budget: RestWeightBudget) throws -> SnapshotScheduler.MarketSetup {
        let client = try DepthSnapshotClient(
            endpoint: try RestEndpoint.parse("http://127.0.0.1:\(port)"), market: .usdm, eventLoop: self.loop)
        return SnapshotScheduler.MarketSetup(client: client, budget: budget, limit: limit)
    }

    @Test("50 symbols asking at once (twice each) stay inside the budget: no 429, one snapshot each, each the truth", .timeLimit(.minutes(1)))
    func reconnectStorm() async throws {
        let symbols = (0..<50).map { "sym\($0)usdt" }
        try await withDepthSimulator(
            SyntheticDepthBook(symbols: symbols, rate: 5_000, levelsPerSide: 120),
            configure: { $0.rest = RestLimits(usdmWeightLimit: 100, window: .seconds(1), banDuration: .seconds(60)) }
        ) { simulator, port in
            simulator.startClock()
            let (events, handler) = schedulerEvents()
            var configuration = SnapshotScheduler.Configuration()
            configuration.minimumSpacing = .milliseconds(5)
            configuration.maximumInFlight = 4
            let scheduler = try SnapshotScheduler(
                eventLoop: self.loop,
                markets: [.usdm: try setup(port: port, limit: 100, budget: RestWeightBudget(limit: 100, window: .seconds(1)))],
                configuration: configuration, handler: handler)
            for symbol in symbols { scheduler.request(symbol: symbol, market: .usdm) }
            for symbol in symbols { scheduler.request(symbol: symbol, market: .usdm) }  // merged with the queued ones
            var delivered: [String: SnapshotDelivery] = [:]
            for await event in events {
                guard case .snapshot(let delivery) = event else {
                    Issue.record("unexpected \(event)")
                    continue
                }
                #expect(delivered.updateValue(delivery, forKey: delivery.symbol) == nil, "one snapshot per symbol")
                if delivered.count == symbols.count { break }
            }
            scheduler.shutdown()
            let statistics = simulator.restStatistics(.usdm)
            #expect(statistics.rateLimited == 0 && statistics.banned == 0)
            #expect(statistics.snapshots == 50 && statistics.weightUsed == 250)
            #expect(statistics.maximumWindowWeight <= 100)
            for (symbol, delivery) in delivered {
                let (id, bids, asks) = try snapshotLevels(delivery.body)
                #expect(id == delivery.lastUpdateID)
                let truth = try #require(simulator.trueBook(symbol: symbol.lowercased(), atUpdateID: id, limit: 100))
                #expect(bids == truth.bids && asks == truth.asks, "\(symbol)")
            }
            #expect(try await scheduler.phase(symbol: "SYM0USDT", market: .usdm).get() == nil)
        }
    }

    @Test("a 429 closes the budget until its Retry-After: the server never sees a request that earns a 418", .timeLimit(.minutes(1)))
    func rateLimitedCloses() async throws {
        try await withDepthSimulator(
            SyntheticDepthBook(symbols: ["btcusdt", "ethusdt", "bnbusdt"], rate: 100, levelsPerSide: 50),
            configure: { $0.rest = RestLimits(usdmWeightLimit: 30, window: .seconds(2), banDuration: .seconds(60)) }
        ) { simulator, port in
            let (events, handler) = schedulerEvents()
            var configuration = SnapshotScheduler.Configuration()
            configuration.minimumSpacing = .zero
            configuration.maximumInFlight = 1
            // The client believes in a far larger budget than the server grants: only the 429 can stop it.
            let scheduler = try SnapshotScheduler(
                eventLoop: self.loop,
                markets: [.usdm: try setup(port: port, limit: 1000, budget: RestWeightBudget(limit: 10_000, window: .seconds(2)))],
                configuration: configuration, handler: handler)
            for symbol in ["btcusdt", "ethusdt", "bnbusdt"] { scheduler.request(symbol: symbol, market: .usdm) }
            var snapshots = Set<String>()
            var rateLimited = 0
            for await event in events {
                switch event {
                case .snapshot(let delivery): snapshots.insert(delivery.symbol)
                case .rateLimited(_, _, let status, let closedFor):
                    #expect(status == 429 && closedFor > .zero && closedFor <= .seconds(2))
                    rateLimited += 1
                case .failed(let symbol, _, let error, _): Issue.record("\(symbol) failed: \(error)")
                }
                if snapshots.count == 3 { break }
            }
            scheduler.shutdown()
            let statistics = simulator.restStatistics(.usdm)
            #expect(rateLimited >= 1 && statistics.rateLimited == rateLimited)
            #expect(statistics.banned == 0)
            #expect(statistics.snapshots == 3)
        }
    }

    @Test("a failing snapshot is retried after a backoff, reported once per failure", .timeLimit(.minutes(1)))
    func retries() async throws {
        try await withDepthSimulator(SyntheticDepthBook(symbols: ["btcusdt"], rate: 100, levelsPerSide: 50)) { simulator, port in
            simulator.failRestRequests(.malformedBody, count: 2)
            let (events, handler) = schedulerEvents()
            var configuration = SnapshotScheduler.Configuration()
            configuration.retryInitial = .milliseconds(20)
            let scheduler = try SnapshotScheduler(
                eventLoop: self.loop, markets: [.usdm: try setup(port: port, limit: 5, budget: RestWeightBudget(limit: 2400))],
                configuration: configuration, handler: handler)
            scheduler.request(symbol: "btcusdt", market: .usdm)
            var retryPauses: [Duration] = []
            for await event in events {
                if case .failed(_, _, let error, let retryIn) = event {
                    guard case .malformedResponse = error else { Issue.record("\(error)"); continue }
                    retryPauses.append(retryIn)
                }
                if case .snapshot = event { break }
            }
            scheduler.shutdown()
            #expect(retryPauses == [.milliseconds(20), .milliseconds(40)])
            #expect(simulator.restStatistics(.usdm).requests == 3)
        }
    }
}
