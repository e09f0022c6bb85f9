import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Live bars end to end: the recording's trades through the simulator to two racing
/// connections, bars built on the book thread and appended to `bars.csv`. Ground truth is an
/// independent computation in this test over the recording file itself (text prices compared
/// as `Decimal`, grouped by trade time), not the engine's aggregator.
@Suite(.serialized) struct LiveBarsAgainstSimulatorTests {
    @Test func liveOneSecondBarsEqualAnIndependentComputationOnTheRecordingsTrades() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures/usdm_btcusdt_depth_trades", withExtension: "gz")).path
        var sim = SimulatorConfiguration(source: .recording(path: fixture, pace: .scaled(20)))
        sim.startWhenConnected = 2
        sim.profiles = [ConnectionProfile(delay: .uniform(.zero, .milliseconds(1))), ConnectionProfile()]
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let total = try #require(simulator.sourceMessageCount)
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(port)/stream?streams=btcusdt@trade", connections: 2,
                extra: #"bars = ["1s"]"#))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let sentAll = await eventually(timeout: .seconds(60)) { simulator.messageCount >= total }
        let sessions = engine.captures[0].sessions
        let receivedAll = await eventually(timeout: .seconds(10)) {
            sessions.allSatisfy { $0.statistics.framesReceived.load(ordering: .relaxed) >= simulator.sentMessages(connection: $0.index).count }
        }
        await engine.stop()
        try await simulator.stop()
        try #require(sentAll && receivedAll)

        // Independent: every MARKET trade of the recording, by second of `T`.
        struct Expected { var open: Decimal; var high: Decimal; var low: Decimal; var close: Decimal; var volume: Decimal; var trades: Int }
        var expected: [Int64: Expected] = [:]
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", fixture]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        gunzip.waitUntilExit()
        for line in text.split(separator: "\n") where line.contains("\"btcusdt@trade\"") {
            let json = try #require(line.firstIndex(of: " ").map { line[line.index(after: $0)...] })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let data = try #require(object["data"] as? [String: Any])
            guard (data["X"] as? String ?? "MARKET") == "MARKET" else { continue }
            let price = try #require((data["p"] as? String).flatMap { Decimal(string: $0) })
            let quantity = try #require((data["q"] as? String).flatMap { Decimal(string: $0) })
            let second = try #require((data["T"] as? NSNumber)?.int64Value) / 1000
            if var bar = expected[second] {
                bar.high = max(bar.high, price)
                bar.low = min(bar.low, price)
                bar.close = price
                bar.volume += quantity
                bar.trades += 1
                expected[second] = bar
            } else {
                expected[second] = Expected(open: price, high: price, low: price, close: price, volume: quantity, trades: 1)
            }
        }
        let csv = try String(contentsOfFile: "\(dir.path)/c/bars.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first.map(String.init) == Bar.csvHeader)
        let rows = csv.dropFirst().map { $0.split(separator: ",").map(String.init) }
        // Every second but the last (still open at stop) is closed and written.
        #expect(rows.count == expected.count - 1, "\(rows.count) bars written, \(expected.count) seconds with trades")
        for row in rows {
            let second = try #require(Int64(row[2])) / 1000
            let bar = try #require(expected[second], "a bar for second \(second)")
            #expect(Decimal(string: row[4]) == bar.open && Decimal(string: row[5]) == bar.high)
            #expect(Decimal(string: row[6]) == bar.low && Decimal(string: row[7]) == bar.close)
            #expect(Decimal(string: row[8]) == bar.volume, "volume at \(second)")
            #expect(Int(row[10]) == bar.trades, "trades at \(second)")
        }
    }
}
