import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// End-to-end: the real engine against the real simulator over loopback sockets.
@Suite(.serialized) struct CaptureAgainstSimulatorTests {
    static func captureBlock(name: String, url: String, connections: Int, extra: String = "") -> String {
        """
        [[capture]]
        name = "\(name)"
        url = "\(url)"
        connections = \(connections)
        \(extra)
        """
    }

    @Test func racingConnectionsWithDropsCaptureExactlyTheUnionOfWhatTheyDelivered() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let certs = try TestCertificateAuthority.make(in: dir.path)
        let total = 20_000
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 5_000, count: total)))
        sim.tls = TLSFiles(certificateChainPath: certs.certPath, privateKeyPath: certs.keyPath)
        sim.seed = 2024
        sim.startWhenConnected = 4
        sim.profiles = [
            ConnectionProfile(delay: .uniform(.zero, .microseconds(300)), dropProbability: 0.01),
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(1)), dropProbability: 0.02),
            ConnectionProfile(delay: .exponential(base: .microseconds(50), mean: .microseconds(400)), dropProbability: 0.03),
            ConnectionProfile(delay: .uniform(.microseconds(100), .milliseconds(2)), dropProbability: 0.05),
        ]
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()

        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "10ms""#,
            captures: Self.captureBlock(
                name: "book", url: "wss://localhost:\(port)/public/stream?streams=btcusdt@bookTicker", connections: 4,
                extra: "ca_file = \"\(certs.caPath)\"\nhole_wait = \"50ms\""))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let capture = engine.captures[0]
        let sentAll = await eventually(timeout: .seconds(30)) { simulator.messageCount >= total }
        // Every copy the simulator wrote has reached its session (loopback loses nothing).
        let receivedAll = await eventually(timeout: .seconds(10)) {
            capture.sessions.allSatisfy {
                $0.statistics.framesReceived.load(ordering: .relaxed) >= simulator.sentMessages(connection: $0.index).count
            }
        }
        #expect(receivedAll)
        await engine.stop()
        try await simulator.stop()
        #expect(sentAll)

        // What each connection delivered, from the simulator's own send log.
        let union = deliveredIDs(simulator, connections: 0..<4)
        let perConnection = (0..<4).map { simulator.sentMessages(connection: $0).count }
        #expect(perConnection.allSatisfy { $0 > total * 9 / 10 && $0 < total }, "every connection dropped some: \(perConnection)")

        let lines = try readCaptureLines("\(dir.path)/book")
        var ids: [Int64] = []
        for line in lines {
            let (_, frame) = try #require(splitLine(line))
            #expect(try JSONSerialization.jsonObject(with: Data(frame.utf8)) is [String: Any])
            ids.append(try #require(updateID(frame)))
        }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing per symbol")
        let captured = Set(ids)
        #expect(captured.isSubset(of: union), "nothing invented")
        let late = capture.merger.statistics.lateMessages.load(ordering: .relaxed)
        let placed = capture.merger.statistics.latePlaced.load(ordering: .relaxed)
        let dropped = capture.merger.statistics.lateDropped.load(ordering: .relaxed)
        #expect(late > 0, "the delay profiles make the connections overtake each other")
        #expect(union.subtracting(captured).count == dropped, "the only messages missing are the counted dropped late ones")
        #expect(dropped == 0, "every late copy came within hole_wait and was placed")
        #expect(union.count > total * 99 / 100, "with 4 independent connections the union covers nearly everything")
        let wins = capture.connectionSnapshots.map(\.wins)
        #expect(wins.reduce(0, +) + placed == ids.count)
        print("racing: union \(union.count)/\(total), captured \(ids.count), late \(late) (placed \(placed)), wins \(wins), sent \(perConnection)")
    }

    @Test func aKilledConnectionReconnectsAndTheCaptureContinues() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 2_000)))
        sim.startWhenConnected = 2
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "10ms""#,
            captures: Self.captureBlock(
                name: "book", url: "ws://127.0.0.1:\(port)/ws/btcusdt@bookTicker", connections: 2,
                extra: #"backoff_initial = "50ms""# + "\n" + #"backoff_max = "200ms""#))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let capture = engine.captures[0]
        #expect(await eventually { capture.merger.statistics.emitted.load(ordering: .relaxed) > 1000 })
        simulator.disconnect(connection: 0, how: .reset)
        let reconnected = await eventually { capture.sessions[0].statistics.connects.load(ordering: .relaxed) >= 2 }
        let before = capture.merger.statistics.emitted.load(ordering: .relaxed)
        let continued = await eventually { capture.merger.statistics.emitted.load(ordering: .relaxed) > before + 2000 }
        let winsAfter = capture.sessions[0].statistics.wins.load(ordering: .relaxed)
        await engine.stop()
        try await simulator.stop()
        #expect(reconnected)
        #expect(continued)
        #expect(capture.sessions[0].statistics.disconnects.load(ordering: .relaxed) >= 1)
        #expect(winsAfter > 0)
        let ids = try capturedIDs("\(dir.path)/book")
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        let union = deliveredIDs(simulator, connections: 0..<2)
        let late = capture.merger.statistics.lateMessages.load(ordering: .relaxed)
        // A reset may destroy bytes in flight on that one socket; those never reached us and
        // the other connection carried them. Everything we did receive is in the file.
        #expect(union.subtracting(Set(ids)).count <= late + 64)
        #expect(Set(ids).isSubset(of: union))
    }

    /// The frames of the recording fixture, in order (REST snapshot lines skipped).
    static func recordingFrames() throws -> [String] {
        try recordedLines().map(\.1)
    }

    @Test(arguments: [1, 3])
    func replayingTheRealRecordingReproducesItsFrames(connections: Int) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures/usdm_btcusdt_head", withExtension: "gz"))
        var sim = SimulatorConfiguration(source: .recording(path: fixture.path, pace: .scaled(20)))
        sim.startWhenConnected = connections
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let expected = try Self.recordingFrames()
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "10ms""#,
            captures: Self.captureBlock(
                name: "replay",
                url: "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker/btcusdt@depth@0ms/btcusdt@trade",
                connections: connections))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let capture = engine.captures[0]
        let done = await eventually(timeout: .seconds(60)) {
            capture.merger.statistics.emitted.load(ordering: .relaxed) >= expected.count
        }
        await engine.stop()
        try await simulator.stop()
        #expect(done)
        let frames = try readCaptureLines("\(dir.path)/replay").map { try #require(splitLine($0)).1 }
        if connections == 1 {
            #expect(frames == expected, "a single healthy connection reproduces the recording exactly, in order")
        } else {
            #expect(frames.sorted() == expected.sorted(), "the same frames, each once")
            func perStream(_ list: [String]) -> [String: [String]] {
                Dictionary(grouping: list) { String($0.prefix(while: { $0 != "," })) }
            }
            #expect(perStream(frames) == perStream(expected), "per-stream order is the recording's")
        }
        for frame in frames.prefix(500) {
            #expect(try JSONSerialization.jsonObject(with: Data(frame.utf8)) is [String: Any])
        }
    }
}
