import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape
@testable import TickTapeTools

#if canImport(Glibc)
import Glibc
#endif

/// A real `ticktaped` writing to a 2 MiB tmpfs that the test fills up, then frees: the daemon
/// must keep running, raise the alarm (log, STATUS), resume by itself, and put what
/// `max_buffered` could not hold in the gap ledger (cause `storage`). Without the privilege to
/// mount, the daemon's test-only fault switch (`TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER`)
/// stands in for the full disk.
@Suite(.serialized) struct StorageFullProcessTests {
    @Test func aFullDiskIsSurvivedAlarmedRecordedAsAStorageGapAndResumedFrom() async throws {
        let dir = try TemporaryDirectory("ticktape-enospc")
        defer { dir.cleanup() }
        let dataDir = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        // TICKTAPE_TEST_FORCE_FAULT_SWITCH=1 exercises the fallback even where mounting works.
        let forceSwitch = ProcessInfo.processInfo.environment["TICKTAPE_TEST_FORCE_FAULT_SWITCH"] != nil
        var mounted = false
        if !forceSwitch {
            mounted = try await runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dataDir]).status == 0
        }
        let unmount = mounted
        defer { if unmount { _ = umount2(dataDir, Int32(MNT_DETACH)) } }
        let trigger = dir.path + "/storage-full"
        print("storage full test: \(mounted ? "2 MiB tmpfs" : "no tmpfs mount (not root, or forced): the test-only fault switch")")

        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: 1_000)))
        sim.recordsSentMessages = false
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let configPath = dir.path + "/ticktape.toml"
        try """
            data_dir = "\(dataDir)"
            [storage]
            flush_interval = "20ms"
            fsync = "never"
            rotate_size = "128KiB"
            buffer_size = "16KiB"
            max_buffered = "64KiB"
            [daemon]
            status_interval = "1s"
            [[capture]]
            name = "book"
            url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
            connections = 2
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let log = dir.path + "/daemon.log"
        let daemon = try DurabilityRig.launchDaemon(
            config: configPath, log: log,
            environment: mounted ? [:] : ["TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER": trigger])
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let captureDir = dataDir + "/book"
        #expect(await eventually(timeout: .seconds(20)) { DurabilityRig.logText(log).contains("opened segment") })
        try await Task.sleep(for: .seconds(1))

        // Fill the filesystem (or arm the switch).
        let ballast = dataDir + "/ballast"
        if mounted {
            let fd = open(ballast, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            #expect(fd >= 0)
            let chunk = [UInt8](repeating: 0x55, count: 64 << 10)
            var filled = 0
            while true {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                filled += n
            }
            #expect(errno == ENOSPC)
            close(fd)
            print("storage full test: ballast of \(filled) bytes fills the tmpfs")
        } else {
            _ = FileManager.default.createFile(atPath: trigger, contents: nil)
        }
        let alarmed = await eventually(timeout: .seconds(20)) {
            let text = DurabilityRig.logText(log)
            return text.contains("storage write failed") && text.contains("write buffers exhausted")
                && text.contains("STORAGE FAILING")
        }
        #expect(alarmed, "the log and the status line say storage is failing")
        try await Task.sleep(for: .seconds(2))
        #expect(daemon.isRunning, "a full disk is no reason to exit")

        // Free the space; writing resumes on its own.
        if mounted { try FileManager.default.removeItem(atPath: ballast) } else { try FileManager.default.removeItem(atPath: trigger) }
        let resumed = await eventually(timeout: .seconds(30)) {
            DurabilityRig.logText(log).contains("storage writes recovered")
                && ((try? String(contentsOfFile: captureDir + "/gaps.jsonl", encoding: .utf8)) ?? "").contains("\"cause\":\"storage\"")
        }
        #expect(resumed, "writes resumed and the dropped span is in the ledger")
        try await Task.sleep(for: .seconds(1))
        #expect(daemon.isRunning)
        let failuresBefore = DurabilityRig.logText(log).components(separatedBy: "storage write failed").count
        daemon.terminate()
        #expect(await DaemonProcessTests.waitForExit(daemon, timeout: .seconds(30)))
        #expect(daemon.terminationStatus == 0)
        try await simulator.stop()
        #expect(failuresBefore > 1)

        // The ledger entry: contiguous dropped span, per-stream first/last id.
        let ledger = try String(contentsOfFile: captureDir + "/gaps.jsonl", encoding: .utf8)
        let storageGaps = try ledger.split(separator: "\n").map { try GapRecord(json: JSONValue.parse(String($0))) }
            .filter { $0.cause == "storage" }
        #expect(!storageGaps.isEmpty)
        for gap in storageGaps {
            #expect(gap.streams.count == 1 && gap.streams[0].stream == "btcusdt@bookTicker")
            #expect((gap.droppedLines ?? 0) > 0 && (gap.firstDroppedAt ?? 0) <= (gap.lastDroppedAt ?? 0))
        }

        // What was kept plus what the ledger says was dropped is the whole feed, without a hole.
        let lines = try readCaptureLines(captureDir)
        let ordinals = lines.compactMap(DurabilityRig.ordinal(of:))
        #expect(ordinals.count == lines.count)
        #expect(zip(ordinals, ordinals.dropFirst()).allSatisfy { $0 < $1 })
        let dropped = storageGaps.map { g in
            ((g.streams[0].firstID! - DurabilityRig.updateIDBase) / 10)...((g.streams[0].lastID! - DurabilityRig.updateIDBase) / 10)
        }
        var unexplained: [ClosedRange<Int64>] = []
        for (a, b) in zip(ordinals, ordinals.dropFirst()) where b != a + 1 {
            let hole = (a + 1)...(b - 1)
            if !dropped.contains(where: { $0 == hole }) { unexplained.append(hole) }
        }
        #expect(unexplained.isEmpty, "every hole in the capture is a storage ledger entry: \(unexplained), ledger \(dropped)")
        #expect(dropped.allSatisfy { r in !ordinals.contains { r.contains($0) } }, "ledger ids are really absent")

        // Sealed segments verify; the manifest after the outage carries the entry.
        let manifests = try FileManager.default.contentsOfDirectory(atPath: captureDir).filter { $0.hasSuffix(".manifest.json") }
        var sealedGaps = 0
        for name in manifests {
            let result = SegmentVerifier.verify(manifestPath: captureDir + "/" + name)
            #expect(result.ok, "\(name): \(result.problems)")
            sealedGaps += result.manifest?.gaps.filter { $0.cause == "storage" }.count ?? 0
        }
        #expect(sealedGaps == storageGaps.count, "each storage entry is in exactly one manifest")
        print("storage full test: \(storageGaps.map { $0.droppedLines ?? 0 }) lines dropped, \(lines.count) kept, \(manifests.count) segments")
    }
}
