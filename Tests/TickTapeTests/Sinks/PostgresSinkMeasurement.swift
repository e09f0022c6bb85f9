import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The sink's figures, not a timed test: `TICKTAPE_BENCH_SINK=1 swift test --filter
/// PostgresSinkMeasurement` (or `scripts/bench-sink`, release build). Prints rows/s into
/// PostgreSQL from a ready capture, and the receive → commit delay at 20k msg/s live.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TICKTAPE_BENCH_SINK"] != nil && PostgresServer.binaries != nil))
struct PostgresSinkMeasurement {
    @Test func bulkRowsPerSecond() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let count = Int(ProcessInfo.processInfo.environment["TICKTAPE_BENCH_SINK_LINES"] ?? "") ?? 400_000
        // A finished segment on disk, as a sink finds it after an outage: the backlog case.
        try FileManager.default.createDirectory(atPath: dir.path + "/data/c", withIntermediateDirectories: true)
        try MarketRecording.write(path: dir.path + "/data/c/c-20261121T000000.000Z-000.tape", count: count, intervalNanos: 50_000)
        let batch = ProcessInfo.processInfo.environment["TICKTAPE_BENCH_SINK_BATCH"] ?? "10000"
        let config = try makeConfig(
            dataDir: dir.path + "/data",
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:1/public/stream?streams=\(MarketRecording.streams)", connections: 1,
                extra: "books = false\nbars = []") + "\n"
                + PostgresSinkTests.sinkBlock(pg, passwordFile: dir.path + "/pgpass").replacingOccurrences(of: "batch_size = 500", with: "batch_size = \(batch)"))
        let sinks = try SinkService(config: config, holds: nil, logger: testLogger)
        let started = ContinuousClock.now
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually(timeout: .seconds(600)) { stats.linesConsumed.load(ordering: .relaxed) >= count })
        let elapsed = ContinuousClock.now - started
        await sinks.stop()
        let rows = stats.rowsWritten.load(ordering: .relaxed)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("SINK BENCH bulk: \(count) lines, \(rows) rows in \(String(format: "%.2f", seconds)) s = \(Int(Double(rows) / seconds)) rows/s (batch_size \(batch))")
    }

    @Test func lagAt20kMessagesPerSecond() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let seconds = 15
        let count = 20_000 * seconds
        let (simulator, engine, config) = try await PostgresSinkTests.startCapture(
            dir: dir.path, count: count, interval: .microseconds(50),
            sink: PostgresSinkTests.sinkBlock(pg, passwordFile: dir.path + "/pgpass")
                .replacingOccurrences(of: "batch_size = 500", with: "batch_size = 5000"))
        let sinks = try SinkService(config: config, holds: engine.retentionHolds, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually(timeout: .seconds(120)) { simulator.messageCount >= count })
        let captured = await eventually(timeout: .seconds(60)) {
            engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= count
        }
        #expect(await eventually(timeout: .seconds(120)) { stats.linesConsumed.load(ordering: .relaxed) >= count })
        let delivery = try #require(stats.deliveryMicros)
        await sinks.stop()
        await engine.stop()
        try await simulator.stop()
        print("SINK BENCH live: \(count) msgs at 20k msg/s, all captured \(captured); receive → commit p50 \(delivery.p50 / 1000) ms, p99 \(delivery.p99 / 1000) ms, max \(delivery.max / 1000) ms (batch_interval 50ms)")
    }
}
