import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The relay end to end: the simulator → the real engine → the relay → independent clients
/// (Python `websockets`, as the seeds' clients use Binance). Ground truth is the capture file
/// the same engine wrote (what Binance sent, byte for byte) and the simulator's own book.
@Suite(.serialized) struct RelayAgainstSimulatorTests {
    static let scriptsDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("relay").path
    }()

    /// A Python client process and the file it writes.
    struct Client {
        let process: Process
        let out: String
        let stdout: Pipe

        static func start(_ script: String, _ arguments: [String], out: String) throws -> Client {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "\(RelayAgainstSimulatorTests.scriptsDirectory)/\(script)"] + arguments
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            return Client(process: p, out: out, stdout: pipe)
        }

        /// Waits for the client's "ready" line (subscribed and acknowledged).
        func ready() async -> Bool {
            let handle = stdout.fileHandleForReading
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let data = handle.availableData
                    continuation.resume(returning: String(decoding: data, as: UTF8.self).contains("ready"))
                }
            }
        }

        func lines() -> [String] {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    /// The frames of `streams` in the capture, in file order, as the client should get them.
    static func expected(_ lines: [String], streams: Set<String>, combined: Bool) -> [String] {
        lines.compactMap { line -> String? in
            guard let frame = splitLine(line)?.1 else { return nil }
            guard let stream = streamName(frame), streams.contains(stream) else { return nil }
            if combined { return frame }
            let bytes = Array(frame.utf8)
            return bytes.withUnsafeBytes { raw in
                RelayFrameEncoder.dataMember(of: raw).map { String(decoding: $0, as: UTF8.self) }
            }
        }
    }

    static func streamName(_ envelope: String) -> String? {
        guard envelope.hasPrefix(#"{"stream":""#) else { return nil }
        let rest = envelope.dropFirst(#"{"stream":""#.count)
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// `received` is a contiguous run of `expected` that ends with its last frame: every
    /// message from the client's first on, in order, byte for byte.
    static func isSuffixRun(_ received: [String], of expected: [String]) -> Bool {
        guard let first = received.first, let start = expected.firstIndex(of: first) else { return false }
        return Array(expected[start...]) == received
    }

    /// `received` is a contiguous run of `expected`: nothing skipped, nothing reordered.
    static func isContiguousRun(_ received: [String], of expected: [String]) -> Bool {
        guard let first = received.first, let start = expected.firstIndex(of: first),
            start + received.count <= expected.count
        else { return false }
        return Array(expected[start..<(start + received.count)]) == received
    }

    @Test(.timeLimit(.minutes(3)))
    func clientsOnWsStreamAndSubscribeGetEveryMergedMessageByteForByte() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(
            source: .recording(path: try CompletenessAgainstSimulatorTests.fixturePath(), pace: .scaled(4)))
        sim.seed = 3
        // Two capture connections and the last client's trigger: the exchange starts sending
        // when every relay client is subscribed.
        sim.startWhenConnected = 3
        let simulator = try ExchangeSimulator(configuration: sim)
        let simPort = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#, serve: #"listen = "127.0.0.1:0""#,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(simPort)/public/stream?streams=\(CompletenessAgainstSimulatorTests.fixtureStreams)",
                connections: 2, extra: "books = false"))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let port = engine.servePort.load(ordering: .acquiring)
        try #require(port > 0)
        let base = "ws://127.0.0.1:\(port)"
        let specs: [(name: String, args: [String])] = [
            ("raw-trade", ["\(base)/ws/btcusdt@trade"]),
            ("combined", ["\(base)/stream?streams=btcusdt@depth@0ms/btcusdt@trade"]),
            ("subscribe", ["\(base)/ws", "--subscribe", "btcusdt@bookTicker,btcusdt@depth@0ms", "--list"]),
            ("public-unknown", ["\(base)/public/stream", "--subscribe", "ethusdt@trade,btcusdt@trade"]),
        ]
        var clients: [Client] = []
        for (k, spec) in specs.enumerated() {
            var args = [spec.args[0], "\(dir.path)/\(spec.name).txt"] + spec.args.dropFirst()
            if k == specs.count - 1 { args += ["--trigger", "ws://127.0.0.1:\(simPort)/ws/none"] }
            let client = try Client.start("relay_client.py", args, out: "\(dir.path)/\(spec.name).txt")
            #expect(await client.ready(), "\(spec.name) subscribed")
            clients.append(client)
        }
        let total = try #require(simulator.sourceMessageCount)
        let sentAll = await eventually(timeout: .seconds(90)) { simulator.messageCount >= total }
        #expect(sentAll)
        // Every message reached the relay's clients before stop: the merger has written it all.
        let lastLine = await eventually(timeout: .seconds(30)) {
            (try? readCaptureLines("\(dir.path)/c").count) ?? 0 >= total - 5
        }
        #expect(lastLine)
        let relayed = await eventually(timeout: .seconds(30)) {
            guard let figures = engine.relay?.currentFigures else { return false }
            return figures.messagesIn >= ((try? readCaptureLines("\(dir.path)/c").count) ?? .max)
        }
        #expect(relayed, "the relay took every merged message")
        await engine.stop()
        try await simulator.stop()
        for client in clients { client.process.waitUntilExit() }

        let lines = try readCaptureLines("\(dir.path)/c")
        // Raw trade stream on /ws/<stream>.
        let raw = clients[0].lines()
        #expect(raw.last?.hasPrefix("CLOSED") == true)
        let rawFrames = Array(raw.dropLast())
        let rawExpected = Self.expected(lines, streams: ["btcusdt@trade"], combined: false)
        print("relay clients: raw \(rawFrames.count)/\(rawExpected.count)")
        // Subscribed before the exchange's first message: the whole stream, from its first frame.
        #expect(rawFrames.count == rawExpected.count)
        let rawRun = Self.isSuffixRun(rawFrames, of: rawExpected)
        #expect(rawRun, "raw: \(rawFrames.count) of \(rawExpected.count)")
        // Combined envelope, two streams, interleaved in merged order.
        let combined = Array(clients[1].lines().dropLast())
        let combinedExpected = Self.expected(lines, streams: ["btcusdt@depth@0ms", "btcusdt@trade"], combined: true)
        #expect(combined.count == combinedExpected.count)
        let combinedRun = Self.isSuffixRun(combined, of: combinedExpected)
        #expect(combinedRun, "combined: \(combined.count) of \(combinedExpected.count)")
        // SUBSCRIBE on /ws: Binance's replies, then raw frames of both streams.
        let subscribed = clients[2].lines()
        #expect(subscribed.first == #"REPLY {"result":null,"id":1}"#)
        #expect(subscribed.dropFirst().first == #"REPLY {"result":["btcusdt@bookTicker","btcusdt@depth@0ms"],"id":2}"#)
        let subscribedFrames = Array(subscribed.dropFirst(2).dropLast())
        let subscribedExpected = Self.expected(lines, streams: ["btcusdt@bookTicker", "btcusdt@depth@0ms"], combined: false)
        let subscribedRun = Self.isSuffixRun(subscribedFrames, of: subscribedExpected)
        #expect(subscribedRun, "subscribe: \(subscribedFrames.count) of \(subscribedExpected.count)")
        // An uncaptured stream is acknowledged and silent; the captured one flows (combined form).
        let unknown = clients[3].lines()
        #expect(unknown.first == #"REPLY {"result":null,"id":1}"#)
        let unknownFrames = Array(unknown.dropFirst().dropLast())
        #expect(!unknownFrames.contains { $0.contains("ethusdt") })
        let unknownRun = Self.isSuffixRun(unknownFrames, of: Self.expected(lines, streams: ["btcusdt@trade"], combined: true))
        #expect(unknownRun)
        #expect(engine.relay?.currentFigures.slowClosed == 0)
    }
}

extension RelayAgainstSimulatorTests {
    /// Binance's local-book procedure run by an independent client against the relay's diff
    /// stream and depth REST ends with the exchange's true book; partial-depth frames built from
    /// the local book equal the exchange's top levels at their `u`.
    @Test(.timeLimit(.minutes(3)))
    func aClientBuildsTheExchangesBookFromRelayAndDepthRestAndPartialDepthIsTrue() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let book = SyntheticDepthBook(market: .usdm, symbols: ["btcusdt"], rate: 1_000, speeds: [.realtime], levelsPerSide: 200)
        var sim = SimulatorConfiguration(source: .syntheticDepth(book))
        sim.seed = 11
        sim.startWhenConnected = 2
        let simulator = try ExchangeSimulator(configuration: sim)
        let simPort = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#, serve: #"listen = "127.0.0.1:0""#,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(simPort)/stream?streams=btcusdt@depth@0ms", connections: 1))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let books = try #require(engine.books)
        try await engine.start()
        let port = engine.servePort.load(ordering: .acquiring)
        try #require(port > 0)
        let bookClient = try Client.start(
            "book_client.py",
            ["ws://127.0.0.1:\(port)/ws/btcusdt@depth@0ms", "http://127.0.0.1:\(port)/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
             "\(dir.path)/book.json"],
            out: "\(dir.path)/book.json")
        #expect(await bookClient.ready())
        let partial = try Client.start(
            "relay_client.py",
            ["ws://127.0.0.1:\(port)/ws/btcusdt@depth5@100ms", "\(dir.path)/partial.txt", "--trigger", "ws://127.0.0.1:\(simPort)/ws/none"],
            out: "\(dir.path)/partial.txt")
        #expect(await partial.ready())
        let applied = await eventually(timeout: .seconds(60)) { books.currentFigures.applied >= 3_000 }
        #expect(applied)
        await engine.stop()
        try await simulator.stop()
        bookClient.process.waitUntilExit()
        partial.process.waitUntilExit()
        #expect(bookClient.process.terminationStatus == 0)

        // The client's book against the exchange's at the id it ended on.
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/book.json"))) as? [String: Any])
        let last = try #require(json["lastUpdateId"] as? Int64)
        let truth = try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: UInt64(last)))
        func side(_ key: String) -> [String] { ((json[key] as? [[String]]) ?? []).map { "\($0[0])=\($0[1])" } }
        #expect(side("bids") == truth.bids.map { "\($0.price)=\($0.quantity)" })
        #expect(side("asks") == truth.asks.map { "\($0.price)=\($0.quantity)" })
        #expect((json["applied"] as? Int ?? 0) > 1_000)
        #expect(json["resyncs"] as? Int == 0, "the first snapshot bridged")

        // Partial depth: five levels a side, each frame the exchange's top five at its `u`.
        let frames = partial.lines().filter { $0.hasPrefix("{") }
        #expect(frames.count >= 5, "a frame every 100 ms")
        for frame in frames.prefix(20) {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any])
            #expect(event["e"] as? String == "depthUpdate")
            let u = try #require(event["u"] as? Int64)
            let top = try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: UInt64(u), limit: 5))
            let b = ((event["b"] as? [[String]]) ?? []).map { "\($0[0])=\($0[1])" }
            let a = ((event["a"] as? [[String]]) ?? []).map { "\($0[0])=\($0[1])" }
            #expect(b == top.bids.map { "\($0.price)=\($0.quantity)" })
            #expect(a == top.asks.map { "\($0.price)=\($0.quantity)" })
        }
    }
}
