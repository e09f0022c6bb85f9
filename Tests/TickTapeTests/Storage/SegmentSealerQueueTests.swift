import Foundation
import Logging
import Testing

@testable import TickTape

private typealias F = SealingFixture

/// Defect 7 of issue #12: one seal job that can never succeed must not block the others.
@Suite struct SegmentSealerQueueTests {
    static let goneBase = "t-20251121T045320.000Z-000"
    static let goodBase = "t-20251121T055320.000Z-000"

    @Test func aJobWhoseSourceVanishedIsSetAsideAndTheQueueMovesOn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let good = try F.writePlain(directory: dir.path, base: Self.goodBase, count: 10)
        let sealer = SegmentSealer(
            capture: "t", directory: dir.path, identity: F.identity, retention: RetentionPolicy(), logger: testLogger)
        sealer.enqueue(F.job(directory: dir.path, base: Self.goneBase, source: dir.path + "/" + Self.goneBase + ".tape"))
        sealer.enqueue(F.job(directory: dir.path, base: Self.goodBase, source: good))
        sealer.start()
        await sealer.finish()
        #expect(sealer.sealedCount.load(ordering: .relaxed) == 1)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/" + Self.goodBase + SegmentName.manifestSuffix))
    }
}

extension SegmentSealerQueueTests {
    /// Retries at once, so a test sees the policy's decisions without waiting for backoff.
    static let quick = SealRetryPolicy(
        initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(1), permanentAfter: 3, attemptsAtShutdown: 10,
        shutdownBackoff: .milliseconds(1))

    @Test func aJobThatFailsTheSameNonTransientWayIsSetAsideAfterNAttempts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // A directory where the plain file should be: reading it fails with EISDIR every time.
        let broken = dir.path + "/" + Self.goneBase + ".tape"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: false)
        let good = try F.writePlain(directory: dir.path, base: Self.goodBase, count: 10)
        let sealer = SegmentSealer(
            capture: "t", directory: dir.path, identity: F.identity, retention: RetentionPolicy(), logger: testLogger,
            retry: Self.quick)
        sealer.enqueue(F.job(directory: dir.path, base: Self.goneBase, source: broken))
        sealer.enqueue(F.job(directory: dir.path, base: Self.goodBase, source: good))
        sealer.start()
        await sealer.finish()
        #expect(sealer.sealedCount.load(ordering: .relaxed) == 1)
        #expect(sealer.setAsideJobs.map(\.source) == [broken])
        #expect(sealer.health.sealFailures.load(ordering: .relaxed) == 3)
        #expect(sealer.health.sealJobsSetAside.load(ordering: .relaxed) == 1)
        #expect(sealer.health.statusAlarms.contains("1 SEGMENT LEFT UNSEALED"))
        #expect(FileManager.default.fileExists(atPath: broken), "a set-aside job's files are left as they are")
    }

    @Test func aTransientFailureIsRetriedWithoutStarvingTheJobsBehindIt() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let full = try F.writePlain(directory: dir.path, base: Self.goneBase, count: 10)
        let good = try F.writePlain(directory: dir.path, base: Self.goodBase, count: 10)
        let sealer = SegmentSealer(
            capture: "t", directory: dir.path, identity: F.identity, retention: RetentionPolicy(), logger: testLogger,
            retry: Self.quick)
        let real = sealer.sealOperation
        // The first job's disk is "full" for ever; the second's is fine.
        sealer.sealOperation = { job in
            if job.source == full { throw StorageError(operation: "write", path: job.source, errno: ENOSPC) }
            return try real(job)
        }
        sealer.enqueue(F.job(directory: dir.path, base: Self.goneBase, source: full))
        sealer.enqueue(F.job(directory: dir.path, base: Self.goodBase, source: good))
        sealer.start()
        await sealer.finish()
        #expect(sealer.sealedCount.load(ordering: .relaxed) == 1, "the job behind the failing one is sealed")
        #expect(sealer.setAsideJobs.isEmpty, "a full disk is waited out, never given up on")
        // attemptsAtShutdown tries once stopping began (plus one if the first pass came before).
        #expect((10...11).contains(sealer.health.sealFailures.load(ordering: .relaxed)))
        #expect(FileManager.default.fileExists(atPath: full), "left for recovery at the next start")
        #expect(sealer.backlog == 0)
    }

    @Test func theRetryPolicySortsFailuresByWhetherWaitingCanCureThem() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let present = try F.writePlain(directory: dir.path, base: Self.goodBase, count: 1)
        let job = F.job(directory: dir.path, base: Self.goodBase, source: present)
        let gone = F.job(directory: dir.path, base: Self.goneBase, source: dir.path + "/nothing.tape")
        let enospc = StorageError(operation: "write", path: present, errno: ENOSPC)
        let eio = StorageError(operation: "read", path: present, errno: EIO)
        #expect(SealRetryPolicy.verdict(for: enospc, job: job) == .transient)
        #expect(SealRetryPolicy.verdict(for: eio, job: job) == .persistent)
        #expect(SealRetryPolicy.verdict(for: SealError(message: "conflict"), job: job) == .hopeless("conflict"))
        guard case .hopeless = SealRetryPolicy.verdict(for: enospc, job: gone) else {
            Issue.record("a job without a source can never succeed")
            return
        }
    }

    @Test func anUnlistableDirectorySkipsRecoveryLoudly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let handler = CollectingLogHandler.Store()
        let logger = Logger(label: "recovery") { _ in CollectingLogHandler(store: handler) }
        let sealer = SegmentSealer(
            capture: "t", directory: dir.path + "/missing", identity: F.identity, retention: RetentionPolicy(),
            logger: logger)
        sealer.recover()
        #expect(sealer.health.recoveryScanFailures.load(ordering: .relaxed) == 1)
        #expect(sealer.health.statusAlarms.contains("CRASH RECOVERY SKIPPED"))
        #expect(handler.messages.contains { $0.hasPrefix("critical crash recovery skipped") })
    }
}
