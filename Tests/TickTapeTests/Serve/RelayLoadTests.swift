import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The relay under load, with independent clients (Python `websockets`, `Tests/relay/relay_load.py`):
/// every client gets every message in order, a client that reads nothing is cut with 1008,
/// and the capture loses nothing. Rates here suit the debug build on two shared cores; the
/// benchmark (`scripts/bench-relay`) measures the release build.
@Suite(.serialized) struct RelayLoadTests {
    struct Summary: Decodable {
        var clients: Int
        var complete: Int
        var in_order: Int
        var closes: [String: Int]
        var slow_closed_by_server: Bool?
        var latency_us: [String: Double]
    }

    func run(clients: Int, rate: Int, count: Int, slow: Bool, extraServe: String = "") async throws -> (Summary, RelayHub.Figures, Int) {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: Double(rate), count: count)))
        sim.seed = 5
        sim.startWhenConnected = 2
        let simulator = try ExchangeSimulator(configuration: sim)
        let simPort = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            serve: "listen = \"127.0.0.1:0\"\nmax_clients = 5000\n" + extraServe,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(simPort)/ws/btcusdt@bookTicker", connections: 1,
                extra: #"stream_stale_after = "10m""#))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let port = engine.servePort.load(ordering: .acquiring)
        try #require(port > 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
            [
                "python3", "\(RelayAgainstSimulatorTests.scriptsDirectory)/relay_load.py", "ws://127.0.0.1:\(port)/ws/btcusdt@bookTicker",
                "--clients", "\(clients)", "--expect", "\(count)", "--trigger", "ws://127.0.0.1:\(simPort)/ws/none",
                "--capture-dir", "\(dir.path)/c",
            ] + (slow ? ["--slow"] : [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let sentAll = await eventually(timeout: .seconds(120)) { simulator.messageCount >= count }
        #expect(sentAll)
        let captured = await eventually(timeout: .seconds(60)) {
            engine.relay.map { $0.currentFigures.messagesIn >= count } ?? false
        }
        #expect(captured)
        // Give the clients the stream's end: stopping closes every connection.
        let figuresBeforeStop = engine.relay!.currentFigures
        await engine.stop()
        try await simulator.stop()
        p.waitUntilExit()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(try #require(lines.last).utf8))
        let fileLines = try readCaptureLines("\(dir.path)/c").count
        return (summary, figuresBeforeStop, fileLines)
    }

    @Test(.timeLimit(.minutes(5)))
    func aThousandClientsEachGetEveryMessageInOrder() async throws {
        let count = 500
        let (summary, figures, fileLines) = try await run(clients: 1_000, rate: 100, count: count, slow: false)
        print("relay load: 1000 clients × \(count) messages: \(summary.complete) complete, receive stamp → Python client µs \(summary.latency_us) (one Python process for all clients: its own backlog dominates), closes \(summary.closes)")
        #expect(fileLines == count, "the capture lost nothing")
        #expect(summary.complete == 1_000)
        #expect(summary.in_order == 1_000)
        #expect(summary.closes == ["1001": 1_000], "0 unexpected disconnects: every close is the stop's 1001")
        #expect(figures.slowClosed == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func aClientThatReadsNothingIsCutAndTheOthersGetEverything() async throws {
        let count = 40_000
        let (summary, figures, fileLines) = try await run(
            clients: 2, rate: 5_000, count: count, slow: true, extraServe: "client_queue = \"256KiB\"\nslow_client_timeout = \"1s\"")
        #expect(fileLines == count, "the capture lost nothing")
        #expect(figures.slowClosed == 1, "the client that reads nothing was cut (1008)")
        #expect(summary.slow_closed_by_server == true)
        #expect(summary.complete == 2)
        #expect(summary.in_order == 2)
    }
}
