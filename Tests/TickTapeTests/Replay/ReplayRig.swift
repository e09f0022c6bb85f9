import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// A stored stretch to replay, made the way production makes one: the simulator plays the
/// real USD-M recording to the real engine, which captures it with a small `rotate_size` (so
/// the stretch crosses many segments) and one connection that skips a few messages (so the
/// ledger holds real gaps); then a `ReplayServer` over the capture folder and independent
/// Python clients. The last segment is put back into its open form (`.tape.open`, no
/// manifest) so the replay reads the sealed segments and an open one.
struct ReplayRig {
    let dir: TemporaryDirectory
    let captureDirectory: String
    /// Every capture line, across segments in name order (the ground truth).
    let lines: [String]
    let server: ReplayServer
    let port: Int

    static let scriptsDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("replay").path
    }()

    static func make(pace: Pace = .scaled(4), skip: Bool = true) async throws -> ReplayRig {
        let dir = try TemporaryDirectory("ticktape-replay")
        var sim = SimulatorConfiguration(
            source: .recording(path: try CompletenessAgainstSimulatorTests.fixturePath(), pace: pace))
        sim.seed = 5
        if skip {
            sim.faults = FaultScript(steps: [.init(at: .milliseconds(700), connection: 0, action: .live(.skip(count: 4)))])
        }
        let simulator = try ExchangeSimulator(configuration: sim)
        let simPort = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path, storage: "flush_interval = \"20ms\"\nrotate_size = \"64KiB\"",
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(simPort)/stream?streams=\(CompletenessAgainstSimulatorTests.fixtureStreams)",
                connections: 1, extra: "books = false"))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let total = try #require(simulator.sourceMessageCount)
        let sentAll = await eventually(timeout: .seconds(90)) { simulator.messageCount >= total }
        try #require(sentAll)
        let captured = await eventually(timeout: .seconds(30)) {
            (try? readCaptureLines("\(dir.path)/c").count) ?? 0 >= total - 4
        }
        try #require(captured)
        // Stopping flushes and seals every segment.
        await engine.stop()
        try await simulator.stop()
        let captureDirectory = "\(dir.path)/c"
        try reopenLastSegment(captureDirectory)
        let lines = try readCaptureLines(captureDirectory)
        let server = ReplayServer(
            dataDirectory: dir.path, listen: ListenAddress(host: "127.0.0.1", port: 0), logger: testLogger)
        let port = try await server.start()
        return ReplayRig(dir: dir, captureDirectory: captureDirectory, lines: lines, server: server, port: port)
    }

    /// The last sealed segment back in the form of one being written: plain `.tape.open`, no manifest.
    static func reopenLastSegment(_ directory: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let last = try #require(names.filter { $0.hasSuffix(".tape.gz") }.sorted().last)
        let base = String(last.dropLast(".tape.gz".count))
        let bytes = try gunzip("\(directory)/\(last)")
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(base).tape.open"))
        try FileManager.default.removeItem(atPath: "\(directory)/\(last)")
        try FileManager.default.removeItem(atPath: "\(directory)/\(base).manifest.json")
    }

    func stop() async {
        await server.stop()
        dir.cleanup()
    }

    var segmentCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: captureDirectory)) ?? []).filter {
            $0.hasSuffix(".tape.gz") || $0.hasSuffix(".tape.open")
        }.count
    }

    /// The ledger's entries (read by Foundation, not the engine's parser).
    var ledger: [[String: Any]] {
        let text = (try? String(contentsOfFile: "\(captureDirectory)/gaps.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Runs a Python script of `Tests/replay` to its end and returns its standard output.
    @discardableResult
    func run(_ script: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "\(Self.scriptsDirectory)/\(script)"] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// One replay client's messages: (monotonic ns at receipt, text); the last is `CLOSED …`.
    func replay(_ target: String, sends: [String] = [], at timed: [String] = [], label: String) throws -> [(Int64, String)] {
        let out = "\(dir.path)/\(label).txt"
        try run(
            "replay_client.py",
            ["ws://127.0.0.1:\(port)\(target)", out, "--timeout", "100"] + sends.flatMap { ["--send", $0] }
                + timed.flatMap { ["--at", $0] })
        let text = try String(contentsOfFile: out, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            guard let space = line.firstIndex(of: " "), let ns = Int64(line[..<space]) else { return (0, String(line)) }
            return (ns, String(line[line.index(after: space)...]))
        }
    }

    /// The capture's lines of `streams` as (stamp, frame), in file order.
    func stored(_ streams: Set<String>) -> [(Int64, String)] {
        lines.compactMap { line in
            guard let (ns, frame) = splitLine(line), let name = RelayAgainstSimulatorTests.streamName(frame),
                streams.contains(name)
            else { return nil }
            return (ns, frame)
        }
    }

    /// The `data` member of a combined envelope: what a `/ws` client gets.
    static func bare(_ envelope: String) -> String {
        Array(envelope.utf8).withUnsafeBytes { raw in
            RelayFrameEncoder.dataMember(of: raw).map { String(decoding: $0, as: UTF8.self) } ?? envelope
        }
    }

    static let allStreams: Set<String> = ["btcusdt@bookTicker", "btcusdt@depth@0ms", "btcusdt@trade"]
}
