import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The real `ticktaped` executable, as an operator runs it.
@Suite(.serialized) struct DaemonProcessTests {
    /// The built executable next to the test bundle.
    static func binary(_ name: String) throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../.build/debug/\(name)").standardized.path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(name) (run `swift build` first)"])
        }
        return fallback
    }

    static func launch(_ path: String, _ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        // Never inherit a notify/watchdog socket another test may have set in this process.
        p.environment = ProcessInfo.processInfo.environment.filter {
            !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"].contains($0.key)
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardError = handle
        p.standardOutput = handle
        try p.run()
        return p
    }

    static func waitForExit(_ p: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while p.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !p.isRunning
    }

    @Test func daemonCapturesFromTheSimulatorAndStopsCleanlyOnSIGTERM() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 1_000)))
        sim.startWhenConnected = 2
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let configPath = dir.path + "/ticktape.toml"
        try """
            data_dir = "\(dir.path)/data"
            [storage]
            flush_interval = "20ms"
            [[capture]]
            name = "btcusdt-book"
            url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
            connections = 2
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let log = dir.path + "/daemon.log"
        let daemon = try Self.launch(try Self.binary("ticktaped"), ["--config", configPath], log: log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }

        let captureDir = dir.path + "/data/btcusdt-book"
        let captured = await eventually(timeout: .seconds(20)) { ((try? readCaptureLines(captureDir)) ?? []).count > 500 }
        #expect(captured)
        daemon.terminate()  // SIGTERM
        let exited = await Self.waitForExit(daemon, timeout: .seconds(10))
        try await simulator.stop()
        #expect(exited)
        #expect(daemon.terminationStatus == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: captureDir)
        #expect(allSegmentsSealed(files), "every segment closed and sealed: \(files)")
        let ids = try capturedIDs(captureDir)  // requires every line to parse back
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("connected"))
        #expect(text.contains("stopped"))
    }

    @Test func daemonOnTheBundledConfigKeepsReconnectingAndSaysSoWhenBinanceIsUnreachable() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // The bundled config verbatim, but for data_dir (the test cannot write /var/lib).
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../etc/ticktape.toml").standardized.path
        var text = try String(contentsOfFile: bundled, encoding: .utf8)
        text = text.replacingOccurrences(of: "data_dir = \"/var/lib/ticktape\"", with: "data_dir = \"\(dir.path)/data\"")
        let configPath = dir.path + "/ticktape.toml"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let log = dir.path + "/daemon.log"
        let daemon = try Self.launch(try Self.binary("ticktaped"), ["--config", configPath], log: log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let saidSo = await eventually(timeout: .seconds(15)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("connect failed")
        }
        #expect(saidSo, "the log explains why nothing is captured")
        #expect(daemon.isRunning, "an unreachable exchange is not a reason to exit")
        daemon.terminate()
        #expect(await Self.waitForExit(daemon, timeout: .seconds(10)))
        #expect(daemon.terminationStatus == 0)
    }

    @Test func badConfigurationExitsWithEX_CONFIGAndNamesTheProblem() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let configPath = dir.path + "/bad.toml"
        try """
            data_dir = "\(dir.path)"
            [[capture]]
            name = "x"
            url = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"
            conections = 2
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let log = dir.path + "/daemon.log"
        let daemon = try Self.launch(try Self.binary("ticktaped"), ["--config", configPath], log: log)
        #expect(await Self.waitForExit(daemon, timeout: .seconds(10)))
        #expect(daemon.terminationStatus == 78)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("conections"))
        #expect(text.contains("bad.toml:5:"), "file and line of the offending key")
    }

    @Test func checkConfigAcceptsTheBundledFileAndRejectsABrokenOne() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../etc/ticktape.toml").standardized.path
        let okLog = dir.path + "/ok.log"
        let ok = try Self.launch(try Self.binary("ticktape"), ["check-config", bundled], log: okLog)
        #expect(await Self.waitForExit(ok, timeout: .seconds(10)))
        #expect(ok.terminationStatus == 0)
        #expect(try String(contentsOfFile: okLog, encoding: .utf8).contains("btcusdt-book"))

        let bad = dir.path + "/bad.toml"
        try "data_dir = 5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let badLog = dir.path + "/bad.log"
        let rejected = try Self.launch(try Self.binary("ticktape"), ["check-config", bad], log: badLog)
        #expect(await Self.waitForExit(rejected, timeout: .seconds(10)))
        #expect(rejected.terminationStatus == 78)
        #expect(try String(contentsOfFile: badLog, encoding: .utf8).contains("data_dir"))
    }
}
