import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Opt-in measurements for the closing notes and README (not part of CI: speed lives in
/// benchmarks, not in timed tests). Run with e.g.
/// `TICKTAPE_MEASURE=1 TICKTAPE_MEASURE_RATE=50000 TICKTAPE_MEASURE_SECONDS=60 swift test -c release --filter CaptureMeasurement`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TICKTAPE_MEASURE"] != nil))
struct CaptureMeasurement {
    static var rate: Double { Double(ProcessInfo.processInfo.environment["TICKTAPE_MEASURE_RATE"] ?? "") ?? 20_000 }
    static var seconds: Double { Double(ProcessInfo.processInfo.environment["TICKTAPE_MEASURE_SECONDS"] ?? "") ?? 10 }
    static var faults: Bool { ProcessInfo.processInfo.environment["TICKTAPE_MEASURE_NO_FAULTS"] == nil }

    @Test func captureVersusUnionAtRate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let total = Int(Self.rate * Self.seconds)
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: Self.rate, count: total)))
        sim.startWhenConnected = 4
        sim.seed = 99
        sim.recordsSentMessages = true
        if Self.faults {
            sim.profiles = [
                ConnectionProfile(delay: .uniform(.zero, .microseconds(200)), dropProbability: 0.01),
                ConnectionProfile(delay: .uniform(.zero, .microseconds(500)), dropProbability: 0.02),
                ConnectionProfile(delay: .exponential(base: .microseconds(20), mean: .microseconds(300)), dropProbability: 0.03),
                ConnectionProfile(delay: .uniform(.microseconds(50), .milliseconds(1)), dropProbability: 0.05),
            ]
        }
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir.path,
            captures: """
                [[capture]]
                name = "m"
                url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
                connections = 4
                """)
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let cpuStart = ProcessInfo.processInfo.systemUptime
        try await engine.start()
        let capture = engine.captures[0]
        _ = await eventually(timeout: .seconds(Self.seconds * 3 + 30)) { simulator.messageCount >= total }
        let elapsed = ProcessInfo.processInfo.systemUptime - cpuStart
        try await Task.sleep(for: .milliseconds(500))
        await engine.stop()
        try await simulator.stop()

        let union = deliveredIDs(simulator, connections: 0..<4)
        let ids = try capturedIDs("\(dir.path)/m")
        let captured = Set(ids)
        let late = capture.merger.statistics.lateMessages.load(ordering: .relaxed)
        let missing = union.subtracting(captured).count
        let snapshots = capture.connectionSnapshots
        print("""
            MEASURE rate=\(Int(Self.rate))/s seconds=\(Self.seconds) faults=\(Self.faults) wall=\(String(format: "%.1f", elapsed))s
            MEASURE generated=\(total) union=\(union.count) captured=\(ids.count) missing=\(missing) late=\(late) \
            strictlyIncreasing=\(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }) extra=\(captured.subtracting(union).count)
            MEASURE ringDrops=\(snapshots.map(\.ringDrops)) wins=\(snapshots.map(\.wins)) frames=\(snapshots.map(\.framesReceived))
            """)
        #expect(captured.isSubset(of: union))
        #expect(missing == late)
    }
}
