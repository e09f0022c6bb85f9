import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Reload applied to a running engine against the simulator.
@Suite(.serialized) struct CaptureEngineReloadTests {
    static func config(_ dir: String, _ port: Int, captures: [(String, Int)], flush: String = "10ms") throws -> TickTapeConfig {
        try makeConfig(
            dataDir: dir, storage: "flush_interval = \"\(flush)\"",
            captures: captures.map { name, n in
                """
                [[capture]]
                name = "\(name)"
                url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
                connections = \(n)
                backoff_initial = "20ms"
                """
            }.joined(separator: "\n"))
    }

    @Test func addingRemovingAndResizingCapturesLosesNothingFromUnchangedOnes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 2_000)))
        sim.startWhenConnected = 2
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let engine = try CaptureEngine(config: try Self.config(dir.path, port, captures: [("a", 2), ("b", 2)]), logger: testLogger)
        try await engine.start()
        #expect(await eventually { engine.everyCaptureDelivering })

        // Add c, remove b, grow a from 2 to 3 connections, and change a's flush interval.
        let report = try await engine.apply(try Self.config(dir.path, port, captures: [("a", 3), ("c", 1)], flush: "20ms"))
        #expect(report.applied.contains("added capture c"))
        #expect(report.applied.contains("removed capture b"))
        #expect(report.applied.contains("capture a: 2 → 3 connections"))
        #expect(engine.captures.map(\.config.name).sorted() == ["a", "c"])
        let a = try #require(engine.captures.first { $0.config.name == "a" })
        #expect(await eventually { a.connectionsUp == 3 && engine.everyCaptureDelivering })
        #expect(await eventually { a.sessions[2].statistics.wins.load(ordering: .relaxed) + a.sessions[2].statistics.duplicates.load(ordering: .relaxed) > 100 })

        // Shrink a back to 1.
        let shrink = try await engine.apply(try Self.config(dir.path, port, captures: [("a", 1), ("c", 1)], flush: "20ms"))
        #expect(shrink.applied.contains("capture a: 3 → 1 connections"))
        #expect(a.sessions.count == 1)
        let before = a.merger.statistics.emitted.load(ordering: .relaxed)
        #expect(await eventually { a.merger.statistics.emitted.load(ordering: .relaxed) > before + 500 })
        await engine.stop()
        try await simulator.stop()

        // Capture a ran through three reloads: strictly increasing, and nothing any of its
        // connections delivered is missing except counted late copies.
        let ids = try capturedIDs(dir.path + "/a")
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        let first = try #require(ids.first)
        let last = try #require(ids.last)
        let expected = deliveredIDs(simulator, connections: 0..<8).filter { $0 >= first && $0 <= last }
        let late = a.merger.statistics.lateMessages.load(ordering: .relaxed)
        #expect(expected.subtracting(Set(ids)).count <= late, "no message lost across the reloads")
        #expect(try capturedIDs(dir.path + "/c").count > 100, "the added capture captured")
        let bFiles = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/b")
        #expect(allSegmentsSealed(bFiles), "the removed capture's files were closed and sealed: \(bFiles)")
    }

    @Test func settingsThatNeedARestartAreReportedNotSilentlyIgnored() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let engine = try CaptureEngine(config: try Self.config(dir.path, 1, captures: [("a", 1)]), logger: testLogger)
        try await engine.start()
        var changed = try Self.config(dir.path + "/elsewhere", 1, captures: [("a", 1)])
        changed.engine.ringCapacity = 1024
        let report = try await engine.apply(changed)
        await engine.stop()
        #expect(report.notApplied.contains { $0.hasPrefix("data_dir") })
        #expect(report.notApplied.contains("ring_capacity needs a restart"))
        #expect(engine.config.dataDirectory == dir.path, "the running data_dir is kept")
    }

    @Test func aHungMergerFailsTheLivenessProbe() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let faults = FaultSwitches()
        let engine = try CaptureEngine(
            config: try Self.config(dir.path, 1, captures: [("a", 1)]), logger: testLogger, faults: faults)
        try await engine.start()
        let first = await engine.probeLiveness(previousHeartbeat: -1, timeout: .milliseconds(200))
        try await Task.sleep(for: .milliseconds(20))
        let alive = await engine.probeLiveness(previousHeartbeat: first.heartbeat, timeout: .milliseconds(200))
        faults.hangMerger.store(true, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(20))
        let frozen = await engine.probeLiveness(previousHeartbeat: -1, timeout: .milliseconds(200))
        try await Task.sleep(for: .milliseconds(50))
        let hung = await engine.probeLiveness(previousHeartbeat: frozen.heartbeat, timeout: .milliseconds(200))
        faults.hangMerger.store(false, ordering: .relaxed)
        await engine.stop()
        #expect(alive.isAlive, "the merger advances even with no market data")
        #expect(!hung.mergerProgressed)
        #expect(hung.loopsAnswered)
        #expect(!hung.isAlive)
    }
}
