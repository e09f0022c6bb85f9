import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Bad input against the listener from an independent client (`Tests/relay/relay_bad_input.py`):
/// every malformed request, bad value and misbehaving WebSocket client gets a clear error, and
/// the daemon and another client streaming beside them are unaffected.
@Suite(.serialized) struct ServeBadInputTests {
    @Test(.timeLimit(.minutes(3)))
    func everyBadRequestGetsAClearErrorAndTheOthersAreUnaffected() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let token = "0123456789abcdef0123456789abcdef"
        try (token + "\n").write(toFile: "\(dir.path)/token", atomically: true, encoding: .utf8)
        let book = SyntheticDepthBook(market: .usdm, symbols: ["btcusdt"], rate: 500, speeds: [.realtime], levelsPerSide: 50)
        var sim = SimulatorConfiguration(source: .syntheticDepth(book))
        sim.startWhenConnected = 1
        let simulator = try ExchangeSimulator(configuration: sim)
        let simPort = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            serve: "listen = \"127.0.0.1:0\"\ntoken_file = \"\(dir.path)/token\"\nping_interval = \"1s\"",
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(simPort)/stream?streams=btcusdt@depth@0ms", connections: 1))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let books = try #require(engine.books)
        try await engine.start()
        let port = engine.servePort.load(ordering: .acquiring)
        try #require(port > 0)
        #expect(await eventually(timeout: .seconds(30)) { books.currentFigures.snapshotsApplied >= 1 })

        // A well-behaved client streams beside the abuse (the token travels in its header).
        let neighbour = try RelayAgainstSimulatorTests.Client.start(
            "relay_client.py",
            ["ws://127.0.0.1:\(port)/ws/btcusdt@depth@0ms", "\(dir.path)/neighbour.txt", "--token", token],
            out: "\(dir.path)/neighbour.txt")
        #expect(await neighbour.ready())
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "\(RelayAgainstSimulatorTests.scriptsDirectory)/relay_bad_input.py", "127.0.0.1", "\(port)", token]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let results = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]], "\(text)")
        func status(_ name: String) -> Int? { results[name]?["status"] as? Int }
        func close(_ name: String) -> Int? { results[name]?["close"] as? Int }
        func reply(_ name: String) -> String { results[name]?["reply"] as? String ?? "" }
        #expect(status("garbage") == 400)
        #expect([400, 431].contains(status("huge_header") ?? 0), "\(results["huge_header"] ?? [:])")
        #expect(status("unknown_method") == 405 || status("unknown_method") == 400)
        #expect(status("post") == 405)
        #expect(status("missing_symbol") == 400)
        #expect(status("bad_symbol") == 400)
        #expect(status("bad_limit") == 400)
        #expect(status("huge_limit") == 400)
        #expect(status("unknown_symbol") == 400)
        #expect(status("unknown_path") == 404)
        #expect(status("ws_path_without_upgrade") == 426)
        #expect(status("no_token") == 401)
        #expect(close("ws_binary") == 1003)
        #expect(close("ws_oversize") == 1009)
        #expect(reply("ws_bad_json").contains(#""code":3"#))
        #expect(reply("ws_bad_params").contains(#""code":2"#))
        #expect(reply("ws_unknown_method").contains(#""code":2"#))
        #expect(close("ws_ping_flood") == 1008)
        #expect(results["server_ping"]?["opcode"] as? Int == 9, "the relay pings its clients")
        #expect(status("after") == 200, "the listener still answers")
        for (name, result) in results { #expect((result["status"] as? Int ?? 0) < 500, "\(name): no 5xx") }
        #expect(engine.captures[0].isDelivering)
        await engine.stop()
        try await simulator.stop()
        neighbour.process.waitUntilExit()
        let received = neighbour.lines()
        #expect(received.last == "CLOSED 1001 ticktape is stopping", "the neighbour was never cut")
        let frames = Array(received.dropLast())
        let expected = RelayAgainstSimulatorTests.expected(try readCaptureLines("\(dir.path)/c"), streams: ["btcusdt@depth@0ms"], combined: false)
        #expect(frames.count > 10)
        // The exchange never stops here: the capture goes on after the listener closed, so the
        // neighbour's frames are a contiguous run of the capture, not necessarily up to its end.
        let contiguous = RelayAgainstSimulatorTests.isContiguousRun(frames, of: expected)
        #expect(contiguous, "the neighbour got every message in order (\(frames.count) frames)")
    }

    @Test func aListenerOtherHostsCanReachRefusesToStartWithoutAToken() throws {
        let text = """
            data_dir = "/tmp/x"
            [serve]
            listen = "0.0.0.0:9480"
            [[capture]]
            name = "c"
            url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"
            connections = 1
            """
        #expect {
            try TickTapeConfig.parse(text, file: "t.toml")
        } throws: { error in
            "\(error)".contains("needs token_file")
        }
    }

    @Test func theTokenIsComparedWholeAndOnlyAsABearer() {
        let token = BearerToken(secret: "0123456789abcdef")
        #expect(token.accepts(authorization: "Bearer 0123456789abcdef"))
        #expect(!token.accepts(authorization: "Bearer 0123456789abcdeF"))
        #expect(!token.accepts(authorization: "Bearer 0123456789abcde"))
        #expect(!token.accepts(authorization: "Bearer 0123456789abcdef0"))
        #expect(!token.accepts(authorization: "0123456789abcdef"))
        #expect(!token.accepts(authorization: nil))
    }
}
