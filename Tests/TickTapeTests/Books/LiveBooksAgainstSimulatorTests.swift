import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The live books end to end: the real engine against the simulator's synthetic L2 book, over
/// loopback WebSocket and REST. Ground truth is the simulator's own book at an update id
/// (`trueBook`), its log of chain breaks and its REST counters, never the engine.
@Suite(.serialized) struct LiveBooksAgainstSimulatorTests {
    struct Outcome {
        var figures: BookService.Figures
        var synced: Bool
        var counters: BookSyncCounters
        var differingLevels: Int
        var ledger: [[String: Any]]
        var snapshotLines: Int
        var breaks: Int
        var undeliveredByAll: Int
        var restRequests: Int
        var metrics: String
        var checkpointLines: Int
        /// Levels in which `ticktape book` on the capture files, at the last line, differs from
        /// the exchange's book at the update id it reports (nil: not run).
        var rebuiltDiffering: Int?
    }

    func run(
        profiles: [ConnectionProfile], chainBreaks: [Duration] = [], seed: UInt64 = 7, diffs: Int = 2_000,
        extra: String = "", rebuild: Bool = false
    ) async throws -> Outcome {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let book = SyntheticDepthBook(
            market: .usdm, symbols: ["btcusdt"], rate: 1_000, speeds: [.realtime], levelsPerSide: 200, chainBreaks: chainBreaks)
        var sim = SimulatorConfiguration(source: .syntheticDepth(book))
        sim.seed = seed
        sim.profiles = profiles
        sim.startWhenConnected = profiles.count
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(port)/stream?streams=btcusdt@depth@0ms", connections: profiles.count,
                extra: #"hole_wait = "50ms""# + "\n" + extra))
        #expect(config.captures[0].books.enabled, "books are on by default for a diff-depth stream")
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let books = try #require(engine.books)
        try await engine.start()
        let applied = await eventually(timeout: .seconds(60)) { books.currentFigures.applied >= diffs }
        await engine.stop()
        try await simulator.stop()
        try #require(applied, "the book applied \(diffs) diffs")
        let metrics = String(decoding: try #require(engine.telemetry).renderMetrics(), as: UTF8.self)

        let state = try #require(books.booksAfterStop()["c"]?["btcusdt@depth@0ms"])
        var differing = 0
        if state.synced {
            let truth = try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: UInt64(state.book.lastUpdateID)))
            let bids = state.book.levels(bid: true).map { "\($0.price)=\($0.quantity)" }
            let asks = state.book.levels(bid: false).map { "\($0.price)=\($0.quantity)" }
            let trueBids = truth.bids.map { "\($0.price)=\($0.quantity)" }
            let trueAsks = truth.asks.map { "\($0.price)=\($0.quantity)" }
            differing = Set(bids).symmetricDifference(trueBids).count + Set(asks).symmetricDifference(trueAsks).count
        }
        let ledgerText = (try? String(contentsOfFile: "\(dir.path)/c/gaps.jsonl", encoding: .utf8)) ?? ""
        let ledger = try ledgerText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let lines = try readCaptureLines("\(dir.path)/c")
        let snapshotLines = lines.filter { $0.contains(#" {"snapshot":{"symbol":"BTCUSDT","market":"usdm","kind":"rest""#) }.count
        let checkpointLines = lines.filter { $0.contains(#" {"snapshot":{"symbol":"BTCUSDT","market":"usdm","kind":"checkpoint""#) }.count
        var rebuiltDiffering: Int?
        if rebuild, let last = lines.last.flatMap(splitLine)?.0 {
            // The files alone: the real CLI, then the exchange's book at the id it reports.
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/c")
                .filter { $0.hasSuffix(".tape") || $0.hasSuffix(".tape.gz") }.sorted().map { "\(dir.path)/c/\($0)" }
            let (status, output) = try await runTool(
                try DaemonProcessTests.binary("ticktape"), ["book"] + files + ["--symbol", "BTCUSDT", "--at", "\(last)"])
            try #require(status == 0, "ticktape book: \(output)")
            let json = try BookCommandTests.depthJSON(output)
            let id = try #require((json["lastUpdateId"] as? NSNumber)?.uint64Value)
            let truth = try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: id))
            func side(_ key: String) -> [String] { ((json[key] as? [[String]]) ?? []).map { "\($0[0])=\($0[1])" } }
            rebuiltDiffering = Set(side("bids")).symmetricDifference(truth.bids.map { "\($0.price)=\($0.quantity)" }).count
                + Set(side("asks")).symmetricDifference(truth.asks.map { "\($0.price)=\($0.quantity)" }).count
        }
        // Messages of the stream no connection was sent: a real hole nobody could fill.
        let sentByAny = (0..<profiles.count).reduce(into: Set<Int>()) { $0.formUnion(simulator.sentMessages(connection: $1)) }
        let lastSent = sentByAny.max() ?? 0
        let undelivered = (0...lastSent).filter { !sentByAny.contains($0) }.count
        return Outcome(
            figures: books.currentFigures, synced: state.synced, counters: state.counters, differingLevels: differing,
            ledger: ledger, snapshotLines: snapshotLines, breaks: simulator.chainBreaks.count, undeliveredByAll: undelivered,
            restRequests: simulator.restStatistics(.usdm).requests, metrics: metrics, checkpointLines: checkpointLines,
            rebuiltDiffering: rebuiltDiffering)
    }

    /// Three connections, each dropping 3 % of the diffs on its own and jittering by up to 2 ms:
    /// every hole is filled by another connection within the hole wait, so the book never
    /// resyncs, never publishes a crossed book, and equals the exchange's book.
    @Test func holesAnotherConnectionFilledCostNoResync() async throws {
        let profiles = (0..<3).map { _ in
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(2)), dropProbability: 0.03)
        }
        let outcome = try await run(profiles: profiles, extra: #"book_checkpoint_interval = "1s""#, rebuild: true)
        try #require(outcome.undeliveredByAll == 0, "the seed leaves no hole that all connections dropped")
        print("live book, 3×3 % drops: \(outcome.figures), rest requests \(outcome.restRequests)")
        #expect(outcome.figures.resyncs == 0)
        #expect(outcome.figures.crossed == 0, "no crossed book")
        #expect(outcome.synced)
        #expect(outcome.differingLevels == 0, "the live book equals the exchange's")
        #expect(outcome.figures.snapshotsApplied == 1, "one snapshot built the book")
        #expect(outcome.snapshotLines == 1, "the snapshot it was built from is in the capture")
        #expect(outcome.restRequests == 1)
        #expect(outcome.checkpointLines >= 1, "book_checkpoint_interval = 1s recorded checkpoints")
        #expect(outcome.rebuiltDiffering == 0, "ticktape book on the capture files alone equals the exchange's book")
        #expect(!outcome.ledger.contains { $0["cause"] as? String == "book" })
        #expect(outcome.metrics.contains("ticktape_books_resyncs_total 0"))
        let appliedLine = outcome.metrics.split(separator: "\n").first { $0.hasPrefix("ticktape_books_diffs_applied_total ") }
        #expect(appliedLine.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 2_000 } == true, "\(appliedLine ?? "no line")")
    }

    /// The exchange skips an update on every connection: a real break. Exactly one resync, one
    /// `book` ledger entry, a second snapshot recorded, and the book equals the exchange's again.
    @Test func aRealChainBreakCostsExactlyOneResync() async throws {
        let profiles = (0..<2).map { _ in ConnectionProfile(delay: .uniform(.zero, .milliseconds(1))) }
        let outcome = try await run(profiles: profiles, chainBreaks: [.milliseconds(1_200)], diffs: 2_500)
        print("live book, one chain break: \(outcome.figures), rest requests \(outcome.restRequests)")
        #expect(outcome.breaks == 1)
        #expect(outcome.figures.resyncs == 1)
        #expect(outcome.counters.resyncs(.sequenceGap) == 1)
        #expect(outcome.figures.crossed == 0)
        #expect(outcome.synced)
        #expect(outcome.differingLevels == 0)
        #expect(outcome.ledger.filter { $0["cause"] as? String == "book" }.count == 1)
        #expect(outcome.snapshotLines == 2)
        #expect(outcome.restRequests == 2)
        #expect(outcome.metrics.contains("ticktape_books_resyncs_total 1"))
    }
}

/// Issue #13's budget case end to end: 50 symbols' books come up, then every connection drops
/// at once, so every book breaks and resyncs. The REST budget is small and the simulator
/// enforces the same limit: its own weight counter (ground truth) must never exceed it and it
/// must never answer 429, while the snapshots are spread out rather than fired together.
@Suite(.serialized) struct BooksWeightBudgetAgainstSimulatorTests {
    @Test func aReconnectOfFiftySymbolsStaysInsideTheWeightBudget() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let symbols = (0..<50).map { String(format: "s%02dusdt", $0) }
        let book = SyntheticDepthBook(market: .usdm, symbols: symbols, rate: 500, speeds: [.ms100], levelsPerSide: 20)
        var sim = SimulatorConfiguration(source: .syntheticDepth(book))
        sim.startWhenConnected = 2
        sim.profiles = [ConnectionProfile(), ConnectionProfile()]
        let limit = 150
        sim.rest = RestLimits(usdmWeightLimit: limit)
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let streams = symbols.map { "\($0)@depth@100ms" }.joined(separator: "/")
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            captures: """
                [books]
                usdm_weight_limit = \(limit)
                """ + "\n"
                + CaptureAgainstSimulatorTests.captureBlock(
                    name: "c", url: "ws://127.0.0.1:\(port)/stream?streams=\(streams)", connections: 2,
                    extra: "snapshot_limit = 5\nhole_wait = \"20ms\""))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let books = try #require(engine.books)
        try await engine.start()
        // Every book synced once: 50 snapshots of weight 2.
        let firstRound = await eventually(timeout: .seconds(60)) { books.currentFigures.snapshotsApplied >= 50 }
        try #require(firstRound, "50 books synced: \(books.currentFigures)")
        // Every connection drops at once, and the exchange skips an update of every symbol
        // meanwhile: whether or not the two drops overlap, every chain breaks and every book
        // resyncs (the drops alone could leave one connection covering the other).
        for k in 0..<2 { simulator.disconnect(connection: k, how: .reset) }
        simulator.breakChain()
        // The budget has 50 weight left in this minute: 25 more snapshots, then it must wait.
        let secondRound = await eventually(timeout: .seconds(60)) { simulator.restStatistics(.usdm).snapshots >= 75 }
        let rest = simulator.restStatistics(.usdm)
        let figures = books.currentFigures
        await engine.stop()
        try await simulator.stop()
        print("50-symbol reconnect: \(figures); simulator REST \(rest)")
        #expect(secondRound, "the resyncs were served as the budget allowed")
        #expect(figures.resyncs >= 25, "the reconnect broke the books' chains")
        #expect(rest.rateLimited == 0, "never a 429")
        #expect(rest.maximumWindowWeight <= limit, "the simulator's own counter stayed inside the budget")
        #expect(rest.snapshots <= limit / 2, "no more snapshots than the budget allows in its minute")
    }
}
