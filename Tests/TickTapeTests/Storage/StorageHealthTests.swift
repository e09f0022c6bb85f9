import Foundation
import Logging
import Synchronization
import Testing

@testable import TickTape

/// Defect 9 of issue #12: failures on the durability path are logged, counted, exported and,
/// while they threaten durability, shown in STATUS. Failing `fsync` is injected.
@Suite struct StorageHealthTests {
    static let failingFsync: @Sendable (Int32) -> Int32 = { _ in
        errno = EIO
        return -1
    }

    @Test func aDirectoryThatCannotBeSyncedIsReportedAndASuccessClearsTheAlarm() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let handler = CollectingLogHandler.Store()
        let logger = Logger(label: "health") { _ in CollectingLogHandler(store: handler) }
        let failing = Atomic<Bool>(true)
        let health = StorageHealth(logger: logger) { fd in
            if failing.load(ordering: .relaxed) {
                errno = EIO
                return -1
            }
            return fsync(fd)
        }
        #expect(!health.syncDirectory(dir.path))
        #expect(!health.syncDirectory(dir.path + "/missing"), "a directory that cannot be opened is a failure too")
        #expect(health.directorySyncFailures.load(ordering: .relaxed) == 2)
        #expect(health.statusAlarms == ["DIRECTORY FSYNC FAILING"])
        #expect(handler.messages.filter { $0.hasPrefix("error directory fsync failed") }.count == 1, "rate-limited")
        failing.store(false, ordering: .relaxed)
        #expect(health.syncDirectory(dir.path))
        #expect(health.statusAlarms.isEmpty)
        #expect(handler.messages.contains { $0.hasPrefix("notice directory fsync works again") })
    }

    @Test func aGapLedgerFsyncFailureIsCountedLoggedAndAlarmed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let handler = CollectingLogHandler.Store()
        let logger = Logger(label: "writer") { _ in CollectingLogHandler(store: handler) }
        let health = StorageHealth(logger: logger, fsync: Self.failingFsync)
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: StorageConfig(fsync: .interval(.seconds(1))), logger: logger,
            writeTimeLog: .some(nil), health: health)
        writer.record(
            gap: GapRecord(
                stream: "btcusdt@trade", firstMissing: 5, lastMissing: 6, detectedAt: 1, cause: "sequence", connectionsUp: 1))
        writer.start()
        await writer.finish()
        #expect(health.ledgerSyncFailures.load(ordering: .relaxed) == 1)
        #expect(health.statusAlarms.contains("GAP LEDGER FAILING"))
        #expect(handler.messages.contains { $0.hasPrefix("error gap ledger fsync failed") })
        let ledger = try String(contentsOfFile: dir.path + "/t/gaps.jsonl", encoding: .utf8)
        #expect(ledger.contains("btcusdt@trade"), "the entry itself was written")
    }

    @Test func aSegmentOpenedWhileDirectoryFsyncFailsIsReported() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let health = StorageHealth(logger: testLogger, fsync: Self.failingFsync)
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: StorageConfig(fsync: .interval(.seconds(1))),
            logger: testLogger, writeTimeLog: .some(nil), health: health)
        let buffer = try #require(writer.acquireBuffer(minimum: 64))
        _ = Array(#"{"e":"trade","t":1}"#.utf8).withUnsafeBytes { buffer.append(receivedAt: 1, payload: $0) }
        writer.submit(buffer)
        writer.start()
        await writer.finish()
        // At open and at close (after the rename).
        #expect(health.directorySyncFailures.load(ordering: .relaxed) == 2)
        #expect(writer.linesWritten.load(ordering: .relaxed) == 1, "capture goes on")
    }

    @Test func theExporterShowsEveryStorageCounterAndAlarm() throws {
        let health = StorageHealth(logger: testLogger)
        health.directorySyncFailures.add(2, ordering: .relaxed)
        health.directorySyncFailing.store(true, ordering: .relaxed)
        health.sealJobsSetAside.add(1, ordering: .relaxed)
        health.writeErrors.add(7, ordering: .relaxed)
        health.linesDiscardedAtShutdown.add(3, ordering: .relaxed)
        var window = AlarmTrackerTests.window(mergedP99: nil, [])
        window.storageDropsTotal = 5
        let text = String(
            decoding: PrometheusExporter().render(
                snapshots: [window], storage: ["c": health.snapshot], clock: ClockSyncState.sample()), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        func value(_ prefix: String, _ labels: [String]) -> String? {
            lines.first { $0.hasPrefix(prefix + "{") && labels.allSatisfy($0.contains) }?.split(separator: " ").last.map(String.init)
        }
        #expect(value("ticktape_storage_fsync_failures_total", [#"target="directory""#, #"capture="c""#]) == "2")
        #expect(value("ticktape_storage_fsync_failures_total", [#"target="gap_ledger""#]) == "0")
        #expect(value("ticktape_storage_write_errors_total", []) == "7")
        #expect(value("ticktape_storage_seal_jobs_set_aside_total", []) == "1")
        #expect(value("ticktape_storage_dropped_lines_total", [#"reason="shutdown""#]) == "3")
        #expect(value("ticktape_storage_dropped_lines_total", [#"reason="buffers_exhausted""#]) == "5")
        #expect(value("ticktape_storage_alarm", [#"alarm="directory_fsync_failing""#])?.hasPrefix("1") == true)
        #expect(value("ticktape_storage_alarm", [#"alarm="sealing_failing""#])?.hasPrefix("0") == true)
        #expect(text.contains("ticktape_thread_pin_failures_total"))
        #expect(text.contains("ticktape_storage_recovery_scan_failures_total"))
        #expect(text.contains("ticktape_storage_seal_failures_total"))
        #expect(text.contains("ticktape_storage_gap_ledger_write_failures_total"))
    }

    @Test func aThreadThatCannotBePinnedIsCounted() {
        let before = CPUAffinity.pinFailures.load(ordering: .relaxed)
        // CPU 4095 is past CPU_SETSIZE: the kernel (here the shim) refuses.
        let t = PinnedThread.start(name: "tt-pin-test", cpu: 4095) {}
        t.join()
        #expect(CPUAffinity.pinFailures.load(ordering: .relaxed) == before + 1)
    }
}
