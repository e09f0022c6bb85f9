import Foundation
import Testing

@testable import TickTape

/// Issue #12 (structure): a scrape renders hundreds of series; it must not run on, or delay,
/// the pinned capture loops.
@Suite struct MetricsEndpointLoopTests {
    @Test func theMetricsEndpointIsServedByALoopOfItsOwn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let config = try makeConfig(
            dataDir: dir.path, telemetry: #"listen = "127.0.0.1:0""#,
            captures: #"[[capture]]\#nname = "t"\#nurl = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"\#nconnections = 1"#)
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let telemetry = try #require(engine.telemetry)
        let endpoint = MetricsEndpoint(listen: try #require(config.telemetry.listen), logger: testLogger) {
            telemetry.renderMetrics()
        }
        let address = try await endpoint.open()
        try await engine.start()
        let loop = try #require(endpoint.eventLoop)
        let captureLoops = Array(engine.group.makeIterator())
        #expect(!captureLoops.contains { $0 === loop })
        // The reference parser accepts the exposition, storage series included.
        let series = try TelemetryAgainstSimulatorTests.scrape(address)
        #expect(series.contains { $0.name.hasPrefix("ticktape_storage_write_errors") && $0.labels["capture"] == "t" })
        #expect(series.contains { $0.name.hasPrefix("ticktape_storage_alarm") })
        await engine.stop()
        await endpoint.close()
    }
}
