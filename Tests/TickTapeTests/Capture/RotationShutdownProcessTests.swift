import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// Issue #12, "what it must show": a reload that drains a connection in the middle of its
/// rotation, and a stop in the middle of a rotation, each finish within the unit's
/// `TimeoutStopSec` with every segment sealed. The real `ticktaped` against the simulator, with
/// `max_connection_age` short enough that a connection is always about to rotate; the moment is
/// found in the daemon's log (a `rotating connection` line for the connection with no
/// `rotated connection` after it, which the replacement's first frame brings), never guessed
/// with a sleep.
@Suite(.serialized) struct RotationShutdownProcessTests {
    /// `TimeoutStopSec` of `deploy/ticktape.service`: what systemd gives a stop before SIGKILL.
    static func timeoutStopSec() throws -> Duration {
        let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../deploy/ticktape.service").standardized.path
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") })
        let value = line.dropFirst("TimeoutStopSec=".count)
        let seconds = try #require(Int(value.hasSuffix("s") ? value.dropLast() : value))
        return .seconds(seconds)
    }

    /// A running daemon capturing 2 connections that rotate every 1–1.5 s.
    struct Rig {
        let dir: TemporaryDirectory
        let simulator: ExchangeSimulator
        let daemon: Process
        let configPath: String
        let log: String
        let port: Int
        var captureDir: String { dir.path + "/data/book" }

        static func config(dataDir: String, port: Int, connections: Int) -> String {
            """
            data_dir = "\(dataDir)"
            log_level = "info"
            [storage]
            flush_interval = "20ms"
            fsync = "never"
            rotate_size = "64KiB"
            [[capture]]
            name = "book"
            url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
            connections = \(connections)
            max_connection_age = "1500ms"
            max_connection_age_jitter = "500ms"
            """
        }

        static func start() async throws -> Rig {
            let dir = try TemporaryDirectory("ticktape-rotation-stop")
            var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 2_000)))
            sim.recordsSentMessages = false
            // Connection 1 gets every message 1 s late, so its replacement's first frame comes
            // at least 1 s after the rotation began: a window the test can find in the log,
            // and the one where a stop or a drain used to hang (issue #12, defect 1).
            sim.profiles = [ConnectionProfile(), ConnectionProfile(delay: .constant(.seconds(1)))]
            let simulator = try ExchangeSimulator(configuration: sim)
            let port = try await simulator.start()
            let configPath = dir.path + "/ticktape.toml"
            try config(dataDir: dir.path + "/data", port: port, connections: 2)
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let log = dir.path + "/daemon.log"
            let daemon = try DurabilityRig.launchDaemon(config: configPath, log: log)
            return Rig(dir: dir, simulator: simulator, daemon: daemon, configPath: configPath, log: log, port: port)
        }

        var logText: String { DurabilityRig.logText(log) }

        /// The log lines about connection `k`'s rotations, in order.
        func rotationLines(connection k: Int) -> [Substring] {
            logText.split(separator: "\n").filter {
                $0.contains("connection=\(k)") && ($0.contains("rotating connection") || $0.contains("rotated connection"))
            }
        }

        /// Whether connection `k` is between the start of a rotation and its replacement's first
        /// frame (for connection 1 at least its 1 s delay).
        func isRotating(connection k: Int) -> Bool {
            rotationLines(connection: k).last?.contains("rotating connection") ?? false
        }

        /// Whether connection `k` was mid-rotation when the daemon logged the first line containing
        /// `marker` (the stop or the reload): its last rotation line before that one is a start.
        func wasRotating(connection k: Int, at marker: String) -> Bool {
            let lines = logText.split(separator: "\n")
            guard let at = lines.firstIndex(where: { $0.contains(marker) }) else { return false }
            let before = lines[..<at].filter {
                $0.contains("connection=\(k)") && ($0.contains("rotating connection") || $0.contains("rotated connection"))
            }
            return before.last?.contains("rotating connection") ?? false
        }

        /// Waits for connection `k` to have rotated once already (the mechanism works here) and to
        /// be in the middle of its next rotation.
        func waitForRotationInProgress(connection k: Int) async -> Bool {
            await eventually(timeout: .seconds(30)) {
                rotationLines(connection: k).contains { $0.contains("rotated connection") } && isRotating(connection: k)
            }
        }

        /// Every file of the capture sealed, nothing open, and `ticktape verify` agrees.
        func expectEverySegmentSealed() async throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: captureDir)
            #expect(allSegmentsSealed(files), "every segment closed and sealed: \(files)")
            #expect(!files.contains { $0.hasSuffix(".open") || $0.hasSuffix(".tape") || $0.hasSuffix(".tmp") })
            let verified = try await runTool(try DaemonProcessTests.binary("ticktape"), ["verify", captureDir])
            #expect(verified.status == 0, "ticktape verify: \(verified.output)")
            #expect(verified.output.contains("OK "))
        }

        func cleanup() async {
            if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) }
            try? await simulator.stop()
            dir.cleanup()
        }
    }

    @Test func aStopDuringARotationFinishesWithinTimeoutStopSecWithEverySegmentSealed() async throws {
        let limit = try Self.timeoutStopSec()
        let rig = try await Rig.start()
        let rotating = await rig.waitForRotationInProgress(connection: 1)
        try #require(rotating, "connection 1 rotates: \(rig.rotationLines(connection: 1).suffix(4))")
        let began = ContinuousClock.now
        kill(rig.daemon.processIdentifier, SIGTERM)
        let exited = await DaemonProcessTests.waitForExit(rig.daemon, timeout: limit)
        let took = ContinuousClock.now - began
        print("rotation stop test: SIGTERM during a rotation, exited after \(took)")
        #expect(exited, "stopped within TimeoutStopSec (\(limit))")
        #expect(rig.daemon.terminationStatus == 0)
        #expect(rig.wasRotating(connection: 1, at: "shutting down"), "the stop met connection 1 mid-rotation")
        try await rig.expectEverySegmentSealed()
        await rig.cleanup()
    }

    @Test func aReloadThatDrainsARotatingConnectionFinishesWithinTimeoutStopSecWithEverySegmentSealed() async throws {
        let limit = try Self.timeoutStopSec()
        let rig = try await Rig.start()
        // Connection 1, the one a reload to one connection drains, mid-rotation.
        let rotating = await rig.waitForRotationInProgress(connection: 1)
        try #require(rotating, "connection 1 rotates: \(rig.rotationLines(connection: 1).suffix(4))")
        try Rig.config(dataDir: rig.dir.path + "/data", port: rig.port, connections: 1)
            .write(toFile: rig.configPath, atomically: true, encoding: .utf8)
        let began = ContinuousClock.now
        kill(rig.daemon.processIdentifier, SIGHUP)
        let reloaded = await eventually(timeout: limit) { rig.logText.contains("configuration reloaded") }
        let took = ContinuousClock.now - began
        print("rotation reload test: SIGHUP draining a rotating connection, reloaded after \(took)")
        #expect(reloaded, "the reload finished within TimeoutStopSec (\(limit))")
        #expect(rig.logText.contains("2 → 1 connections"))
        #expect(rig.wasRotating(connection: 1, at: "reloading configuration"), "the drain met connection 1 mid-rotation")
        // Still capturing on the remaining connection, then a clean stop.
        let before = (try? readCaptureLines(rig.captureDir).count) ?? 0
        let flowing = await eventually(timeout: .seconds(10)) { ((try? readCaptureLines(rig.captureDir).count) ?? 0) > before + 200 }
        #expect(flowing, "lines before \(before), now \((try? readCaptureLines(rig.captureDir).count) ?? -1); daemon log:\n\(rig.logText.split(separator: "\n").suffix(30).joined(separator: "\n"))")
        let stopBegan = ContinuousClock.now
        kill(rig.daemon.processIdentifier, SIGTERM)
        #expect(await DaemonProcessTests.waitForExit(rig.daemon, timeout: limit), "stopped within TimeoutStopSec")
        print("rotation reload test: then stopped after \(ContinuousClock.now - stopBegan)")
        #expect(rig.daemon.terminationStatus == 0)
        try await rig.expectEverySegmentSealed()
        await rig.cleanup()
    }
}
