import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The sink inside a real `ticktaped`, killed with SIGKILL while it writes and started again:
/// PostgreSQL still holds exactly the capture files' rows.
@Suite(.serialized, .enabled(if: PostgresServer.binaries != nil, "PostgreSQL 15 is not installed (postgresql-15)"))
struct PostgresSinkDaemonTests {
    @Test func killedDaemonRestartsAndTheTablesStayExact() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let count = 16_000
        let recording = dir.path + "/recording.txt"
        try MarketRecording.write(path: recording, count: count, intervalNanos: 600_000)
        var sim = SimulatorConfiguration(source: .recording(path: recording, pace: .original))
        sim.startWhenConnected = 1
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let configPath = dir.path + "/ticktape.toml"
        try """
            data_dir = "\(dir.path)/data"
            [storage]
            flush_interval = "20ms"
            [telemetry]
            listen = "off"
            [[capture]]
            name = "c"
            url = "ws://127.0.0.1:\(port)/public/stream?streams=\(MarketRecording.streams)"
            connections = 1
            books = false
            bars = []
            \(PostgresSinkTests.sinkBlock(pg, passwordFile: dir.path + "/pgpass"))
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let binary = try DaemonProcessTests.binary("ticktaped")
        var daemon = try DaemonProcessTests.launch(binary, ["--config", configPath], log: dir.path + "/daemon1.log")
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        // Writing: rows arrive, and batches keep coming (50 ms apart), so the kill lands among them.
        #expect(await eventually(timeout: .seconds(30)) { ((try? pg.count("SELECT count(*) FROM book_ticker")) ?? 0) > 1500 })
        kill(daemon.processIdentifier, SIGKILL)
        #expect(await DaemonProcessTests.waitForExit(daemon, timeout: .seconds(10)))

        daemon = try DaemonProcessTests.launch(binary, ["--config", configPath], log: dir.path + "/daemon2.log")
        #expect(await eventually(timeout: .seconds(60)) { simulator.messageCount >= count })
        let captureDirectory = dir.path + "/data/c"
        // Everything captured (the first run's segment recovered at the restart) ends up loaded.
        var captured = try CapturedRows(directory: captureDirectory)
        #expect(await eventually(timeout: .seconds(60)) {
            captured = (try? CapturedRows(directory: captureDirectory)) ?? captured
            return ((try? pg.count("SELECT count(*) FROM book_ticker")) ?? 0) == captured.bookTickers.count
                && ((try? pg.count("SELECT count(*) FROM trades")) ?? 0) == captured.trades.count
        })
        daemon.terminate()
        #expect(await DaemonProcessTests.waitForExit(daemon, timeout: .seconds(20)))
        try await simulator.stop()
        try PostgresSinkTests.expectExact(pg, captureDirectory: captureDirectory)
        let log = (try? String(contentsOfFile: dir.path + "/daemon2.log", encoding: .utf8)) ?? ""
        #expect(log.contains("sink: connected"), "\(log.suffix(2000))")
    }
}
