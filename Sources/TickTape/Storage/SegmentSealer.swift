#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import Synchronization

/// One capture's sealing thread: compresses closed segments, writes their manifests, seals
/// what crash recovery found, and applies retention.
///
/// Sealing reads and compresses a whole segment, seconds of CPU for a large one, so it runs
/// here at low priority (nice 10), never on the merger or the writer thread: capture latency
/// does not depend on it. A failed job stays queued and is retried with backoff (see
/// ``SealRetryPolicy``) while the jobs behind it go on; the plain file stays readable meanwhile
/// and nothing is lost. A job that can never succeed (its source vanished, or it failed the
/// same non-transient way `permanentAfter` times in a row) is set aside: logged, counted in
/// ``StorageHealth/sealJobsSetAside`` and shown in STATUS, its files left as they are for a
/// human or the next start's recovery. At shutdown each job gets a few attempts, then is left
/// for crash recovery at the next start.
///
/// `@unchecked Sendable`: the queue, the set-aside list and the counters are `Mutex`es and
/// atomics; `thread` is touched by start/finish only, and the failure maps, `endTimes` and
/// `sealOperation` by the sealer thread only (or before ``start()``).
package final class SegmentSealer: @unchecked Sendable {
    package let capture: String
    package let directory: String
    private let identity: SealIdentity
    private let logger: Logger
    private let queue = Mutex<[SealJob]>([])
    private let retention: Mutex<RetentionPolicy>
    /// Waited on by the sealer thread only (its own pthread, never a cooperative-pool thread).
    private let wake = DispatchSemaphore(value: 0)
    private let finishing = Atomic<Bool>(false)
    private var thread: PinnedThread?
    private var endTimes: [String: Int64] = [:]
    private let onSealed: (@Sendable (SegmentManifest) -> Void)?
    private let retry: SealRetryPolicy
    /// What the sinks have not consumed yet: retention keeps it (nil: no sink).
    private let holds: RetentionHolds?
    /// Failures, alarms and set-aside jobs, shared with the capture's writer.
    package let health: StorageHealth
    /// Seals one job; a seam so tests can make a seal fail in a chosen way. Set before ``start()``.
    var sealOperation: @Sendable (SealJob) throws -> SegmentManifest

    /// Segments sealed, segments deleted by retention.
    package let sealedCount = Atomic<Int>(0)
    /// What the capture's directory holds, as of the last pass (every seal, at least every 10 s).
    package var onDisk: CaptureDiskFigures { disk.withLock { $0 } }
    private let disk = Mutex(CaptureDiskFigures())
    package let deletedCount = Atomic<Int>(0)
    /// Jobs waiting.
    package var backlog: Int { queue.withLock { $0.count } }
    /// Jobs given up on, oldest first (their files are untouched).
    package var setAsideJobs: [SealJob] { setAside.withLock { $0 } }
    private let setAside = Mutex<[SealJob]>([])

    // Sealer thread only.
    private var consecutiveFailures: [String: Int] = [:]
    private var shutdownAttempts: [String: Int] = [:]
    private var failureLog = RateLimitedLog(every: .seconds(10))
    private var holdLog = RateLimitedLog(every: .seconds(300))

    package init(
        capture: String, directory: String, identity: SealIdentity, retention: RetentionPolicy, logger: Logger,
        health: StorageHealth? = nil, retry: SealRetryPolicy = SealRetryPolicy(),
        onSealed: (@Sendable (SegmentManifest) -> Void)? = nil, holds: RetentionHolds? = nil
    ) {
        self.holds = holds
        self.capture = capture
        self.directory = directory
        self.identity = identity
        self.retention = Mutex(retention)
        self.logger = logger
        self.onSealed = onSealed
        self.retry = retry
        let health = health ?? StorageHealth(logger: logger)
        self.health = health
        self.sealOperation = { job in try SegmentSeal.seal(job, identity: identity, health: health) }
    }

    package func update(retention newValue: RetentionPolicy) {
        retention.withLock { $0 = newValue }
        wake.signal()
    }

    /// Queues crash-recovery jobs for what the directory holds unsealed; call before the writer
    /// opens its first segment. A directory that cannot be listed skips recovery: that is
    /// logged as critical, counted and stands as an alarm until a restart.
    package func recover() {
        let jobs: [SealJob]
        do throws(StorageError) {
            jobs = try SegmentRecovery.jobs(directory: directory, capture: capture, health: health) { line in
                logger.notice("recovery: \(line)", metadata: ["directory": "\(directory)"])
            }
        } catch {
            health.recoveryScanFailures.add(1, ordering: .relaxed)
            health.recoverySkipped.store(true, ordering: .relaxed)
            logger.critical(
                "crash recovery skipped: cannot list the capture directory; unsealed segments stay unsealed until a restart can",
                metadata: ["directory": "\(directory)", "error": "\(error)"])
            return
        }
        for job in jobs { enqueue(job) }
    }

    package func enqueue(_ job: SealJob) {
        queue.withLock { $0.append(job) }
        wake.signal()
    }

    package func start() {
        thread = PinnedThread.start(name: "tt-seal") { [self] in
            ThreadPriority.lowerCurrentThread()
            run()
        }
    }

    /// Seals what is queued (each job getting `attemptsAtShutdown` attempts) and stops the thread.
    /// The caller suspends while the sealer thread works; no pool thread is blocked.
    package func finish() async {
        finishing.store(true, ordering: .releasing)
        wake.signal()
        await thread?.joined()
        thread = nil
    }

    private func run() {
        var backoff = Duration.zero
        var lastRetentionAt: Int64 = 0
        var first = true
        while true {
            // The first pass runs at once: recovery jobs and retention do not wait for a wake-up.
            if !first {
                let millis = backoff > .zero ? Int(backoff.nanoseconds / 1_000_000) : 10_000
                _ = wake.wait(timeout: .now() + .milliseconds(max(millis, 1)))
            }
            first = false
            let done = finishing.load(ordering: .acquiring)
            let failed = sealPass(done: done)
            if failed {
                backoff = done ? retry.shutdownBackoff : min(max(backoff * 2, retry.initialBackoff), retry.maximumBackoff)
            } else {
                backoff = .zero
            }
            if health.sealingFailing.exchange(failed, ordering: .relaxed) && !failed {
                logger.notice("sealing works again", metadata: ["capture": "\(capture)"])
            }
            let now = WallClock.monotonicNanos()
            if now - lastRetentionAt >= 10_000_000_000 || backoff == .zero {
                lastRetentionAt = now
                takeInventory()
            }
            if done && queue.withLock({ $0.isEmpty }) { return }
        }
    }

    /// Tries every queued job once, oldest first; a failed one stays queued and the pass goes
    /// on with the next. Returns whether some job failed and is waiting for a retry.
    private func sealPass(done: Bool) -> Bool {
        var failedThisPass: Set<String> = []
        while let job = queue.withLock({ q in q.first { !failedThisPass.contains($0.source) } }) {
            do {
                let manifest = try sealOperation(job)
                remove(job)
                consecutiveFailures[job.source] = nil
                shutdownAttempts[job.source] = nil
                sealedCount.add(1, ordering: .relaxed)
                logSealed(manifest)
                onSealed?(manifest)
            } catch {
                health.sealFailures.add(1, ordering: .relaxed)
                let verdict = SealRetryPolicy.verdict(for: error, job: job)
                failureLog.log(
                    logger, .error, "sealing failed; the plain segment is kept",
                    metadata: [
                        "segment": "\(job.source)", "error": "\(error)", "backlog": "\(backlog)",
                        "retry": "\(Self.retryNote(verdict, limit: retry.permanentAfter))",
                    ])
                switch verdict {
                case .hopeless(let reason):
                    giveUp(job, reason: reason, error: error)
                    continue
                case .persistent:
                    let n = (consecutiveFailures[job.source] ?? 0) + 1
                    consecutiveFailures[job.source] = n
                    if n >= retry.permanentAfter {
                        giveUp(job, reason: "failed \(n) times in a row", error: error)
                        continue
                    }
                case .transient:
                    break
                }
                if done {
                    let n = (shutdownAttempts[job.source] ?? 0) + 1
                    shutdownAttempts[job.source] = n
                    if n >= retry.attemptsAtShutdown {
                        remove(job)
                        logger.critical(
                            "stopping with a segment unsealed; it is recovered at the next start",
                            metadata: ["segment": "\(job.source)", "error": "\(error)"])
                        continue
                    }
                }
                failedThisPass.insert(job.source)
            }
        }
        return !failedThisPass.isEmpty
    }

    private static func retryNote(_ verdict: SealRetryPolicy.Verdict, limit: Int) -> String {
        switch verdict {
        case .transient: "until it works"
        case .persistent: "up to \(limit) times in a row"
        case .hopeless: "no"
        }
    }

    private func remove(_ job: SealJob) {
        queue.withLock { q in
            if let i = q.firstIndex(where: { $0.source == job.source }) { q.remove(at: i) }
        }
    }

    /// Sets a job aside for good: its files stay exactly as they are.
    private func giveUp(_ job: SealJob, reason: String, error: any Error) {
        remove(job)
        consecutiveFailures[job.source] = nil
        shutdownAttempts[job.source] = nil
        setAside.withLock { $0.append(job) }
        health.sealJobsSetAside.add(1, ordering: .relaxed)
        logger.error(
            "seal job set aside: it cannot succeed; its files are left as they are for a human or the next start",
            metadata: ["segment": "\(job.source)", "reason": "\(reason)", "error": "\(error)"])
    }

    private func logSealed(_ m: SegmentManifest) {
        let ratio = m.compressedBytes > 0 ? Double(m.rawBytes) / Double(m.compressedBytes) : 0
        var metadata: Logger.Metadata = [
            "segment": "\(m.dataFile)", "records": "\(m.records)", "raw_bytes": "\(m.rawBytes)",
            "compressed_bytes": "\(m.compressedBytes)", "ratio": "\((ratio * 10).rounded() / 10)",
        ]
        if m.recovered {
            metadata["discarded_bytes"] = "\(m.discardedBytes)"
            metadata["kept_source"] = "\(m.recoveredFrom ?? "")"
            logger.notice("sealed recovered segment", metadata: metadata)
        } else {
            logger.info("sealed segment", metadata: metadata)
        }
    }

    /// Lists the capture's directory: publishes ``onDisk`` and applies retention.
    private func takeInventory() {
        let policy = retention.withLock { $0 }
        let inventory: (sealed: [RetentionPolicy.Segment], totalBytes: Int64)
        do throws(StorageError) {
            inventory = try RetentionPolicy.inventory(directory: directory, endTimes: &endTimes)
        } catch {
            if policy.isEnabled { logger.error("retention: cannot list the capture directory", metadata: ["error": "\(error)"]) }
            return
        }
        disk.withLock { $0 = CaptureDiskFigures(sealed: inventory.sealed, totalBytes: inventory.totalBytes, at: WallClock.realtimeNanos()) }
        if policy.isEnabled { applyRetention(policy, inventory) }
    }

    /// One retention pass over the capture's directory.
    private func applyRetention(_ policy: RetentionPolicy, _ inventory: (sealed: [RetentionPolicy.Segment], totalBytes: Int64)) {
        let wanted = policy.selectForDeletion(
            sealed: inventory.sealed, totalBytes: inventory.totalBytes, now: WallClock.realtimeNanos())
        let heldFrom = wanted.isEmpty ? nil : holds?.earliest(capture: capture)
        let (doomed, kept, overridden) = RetentionPolicy.applyHold(
            wanted, heldFrom: heldFrom, diskCritical: heldFrom != nil && RetentionPolicy.isDiskCritical(directory))
        if !kept.isEmpty {
            holdLog.log(
                logger, .notice, "retention: keeping sealed segments a sink has not consumed yet",
                metadata: ["capture": "\(capture)", "segments": "\(kept.count)", "first": "\(kept[0].base)"])
        }
        let overriddenBases = Set(overridden.map(\.base))
        for segment in doomed {
            if let err = RetentionPolicy.delete(segment, directory: directory, health: health) {
                logger.error(
                    "retention: deleting a sealed segment failed",
                    metadata: ["segment": "\(segment.base)", "errno": "\(err)"])
                return
            }
            endTimes[segment.base] = nil
            deletedCount.add(1, ordering: .relaxed)
            if overriddenBases.contains(segment.base) {
                logger.critical(
                    "retention: disk critically full; deleted a sealed segment a sink had not consumed",
                    metadata: ["capture": "\(capture)", "segment": "\(segment.base)"])
                holds?.overridden(capture: capture, segment: segment.base)
            }
            logger.notice(
                "retention: deleted sealed segment",
                metadata: [
                    "segment": "\(segment.base)", "bytes": "\(segment.bytes)", "ended_at_ns": "\(segment.endedAt)",
                    "files": "\(segment.files.joined(separator: ","))",
                ])
        }
    }
}
