import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's `ServiceGroup` order, seen from outside the real process: the metrics endpoint
/// is up before the engine starts and still answers while the engine drains; it closes last.
///
/// The drain is held open by the storage fault switch (a writer that cannot write retries at
/// shutdown), so the test scrapes a drain that is known to be in progress rather than hoping to
/// be quick enough; removing the trigger lets the drain finish.
@Suite(.serialized) struct DaemonServiceOrderTests {
    @Test func theMetricsEndpointIsUpBeforeTheEngineAndAnswersThroughTheDrain() async throws {
        let dir = try TemporaryDirectory("ticktape-service-order")
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 1_000)))
        sim.recordsSentMessages = false
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let configPath = dir.path + "/ticktape.toml"
        try """
            data_dir = "\(dir.path)/data"
            [storage]
            flush_interval = "20ms"
            fsync = "never"
            [telemetry]
            listen = "127.0.0.1:0"
            [[capture]]
            name = "book"
            url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
            connections = 2
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let log = dir.path + "/daemon.log"
        let trigger = dir.path + "/storage-fails"
        let daemon = try DurabilityRig.launchDaemon(
            config: configPath, log: log, environment: ["TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER": trigger])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        func logLines() -> [Substring] { DurabilityRig.logText(log).split(separator: "\n") }
        func index(of text: String) -> Int? { logLines().firstIndex { $0.contains(text) } }

        #expect(await eventually(timeout: .seconds(20)) { index(of: "opened segment") != nil })
        let listening = try #require(logLines().first { $0.contains("metrics endpoint listening") })
        let address = try #require(listening.split(separator: " ").first { $0.hasPrefix("address=") }?.dropFirst("address=".count))
        let url = "http://\(address)/metrics"
        #expect(try #require(index(of: "metrics endpoint listening")) < (try #require(index(of: "INFO starting"))))

        // Writes fail from now on; at the stop the writer keeps retrying, so the drain stays open.
        _ = FileManager.default.createFile(atPath: trigger, contents: nil)
        #expect(await eventually(timeout: .seconds(20)) { index(of: "storage write failed") != nil })
        kill(daemon.processIdentifier, SIGTERM)
        #expect(await eventually(timeout: .seconds(10)) { index(of: "stopping: flushing files") != nil })
        let scrape = try await runTool("/usr/bin/curl", ["-sf", "--max-time", "5", url])
        #expect(daemon.isRunning && index(of: "INFO stopped") == nil, "the engine is still draining")
        #expect(scrape.status == 0, "a scrape during the drain is answered: \(scrape.output)")
        #expect(scrape.output.contains("ticktape_storage_write_errors"))

        try FileManager.default.removeItem(atPath: trigger)
        #expect(await DaemonProcessTests.waitForExit(daemon, timeout: .seconds(30)))
        #expect(daemon.terminationStatus == 0)
        try await simulator.stop()
        let stopped = try #require(index(of: "INFO stopped"))
        let closed = try #require(index(of: "metrics endpoint closed"))
        #expect(stopped < closed, "the endpoint closes after the engine has drained")
        let after = try await runTool("/usr/bin/curl", ["-sf", "--max-time", "5", url])
        #expect(after.status != 0, "nothing listens once the daemon is gone")
    }
}
