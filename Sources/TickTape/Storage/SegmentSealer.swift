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
/// does not depend on it. A failure (disk full, read-only) keeps the job at the head of the
/// queue and retries with backoff up to a minute; the plain file stays readable meanwhile and
/// nothing is lost. At shutdown whatever cannot be sealed in three attempts is left for crash
/// recovery at the next start.
public final class SegmentSealer: @unchecked Sendable {
    public let capture: String
    public let directory: String
    private let identity: SealIdentity
    private let logger: Logger
    private let queue = Mutex<[SealJob]>([])
    private let retention: Mutex<RetentionPolicy>
    private let wake = DispatchSemaphore(value: 0)
    private let finishing = Atomic<Bool>(false)
    private var thread: PinnedThread?
    private var endTimes: [String: Int64] = [:]
    private let onSealed: (@Sendable (SegmentManifest) -> Void)?

    /// Segments sealed, seal attempts that failed, segments deleted by retention.
    public let sealedCount = Atomic<Int>(0)
    public let failures = Atomic<Int>(0)
    public let deletedCount = Atomic<Int>(0)
    /// Whether the last seal attempt failed (an alarm, shown in STATUS).
    public let failing = Atomic<Bool>(false)
    /// Jobs waiting.
    public var backlog: Int { queue.withLock { $0.count } }

    public init(
        capture: String, directory: String, identity: SealIdentity, retention: RetentionPolicy, logger: Logger,
        onSealed: (@Sendable (SegmentManifest) -> Void)? = nil
    ) {
        self.capture = capture
        self.directory = directory
        self.identity = identity
        self.retention = Mutex(retention)
        self.logger = logger
        self.onSealed = onSealed
    }

    public func update(retention newValue: RetentionPolicy) {
        retention.withLock { $0 = newValue }
        wake.signal()
    }

    /// Queues crash-recovery jobs for what the directory holds unsealed; call before the writer
    /// opens its first segment.
    public func recover() {
        let jobs = SegmentRecovery.jobs(directory: directory, capture: capture) { line in
            logger.notice("recovery: \(line)", metadata: ["directory": "\(directory)"])
        }
        for job in jobs { enqueue(job) }
    }

    public func enqueue(_ job: SealJob) {
        queue.withLock { $0.append(job) }
        wake.signal()
    }

    public func start() {
        thread = PinnedThread.start(name: "tt-seal") { [self] in
            // Linux keeps nice values per thread; `who` 0 is the calling thread.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            run()
        }
    }

    /// Seals what is queued (giving up after three failed attempts) and stops the thread.
    public func finish() {
        finishing.store(true, ordering: .releasing)
        wake.signal()
        thread?.join()
        thread = nil
    }

    private func run() {
        var backoffMillis = 0
        var attemptsWhileFinishing = 0
        var lastRetentionAt: Int64 = 0
        var lastErrorLogAt: Int64 = 0
        var first = true
        while true {
            // The first pass runs at once: recovery jobs and retention do not wait for a wake-up.
            if !first { _ = wake.wait(timeout: .now() + .milliseconds(backoffMillis > 0 ? backoffMillis : 10_000)) }
            first = false
            let done = finishing.load(ordering: .acquiring)
            while let job = queue.withLock({ $0.first }) {
                do {
                    let manifest = try SegmentSeal.seal(job, identity: identity)
                    queue.withLock { _ = $0.removeFirst() }
                    sealedCount.add(1, ordering: .relaxed)
                    backoffMillis = 0
                    if failing.exchange(false, ordering: .relaxed) {
                        logger.notice("sealing works again", metadata: ["capture": "\(capture)"])
                    }
                    logSealed(manifest)
                    onSealed?(manifest)
                } catch {
                    failures.add(1, ordering: .relaxed)
                    failing.store(true, ordering: .relaxed)
                    let now = WallClock.monotonicNanos()
                    if now - lastErrorLogAt > 10_000_000_000 {
                        lastErrorLogAt = now
                        logger.error(
                            "sealing failed; the plain segment is kept and sealing retried",
                            metadata: ["segment": "\(job.source)", "error": "\(error)", "backlog": "\(backlog)"])
                    }
                    if error is SealError {
                        // Not a transient condition: leave this segment to a human, go on with the rest.
                        queue.withLock { _ = $0.removeFirst() }
                        continue
                    }
                    backoffMillis = min(max(backoffMillis * 2, 1000), 60_000)
                    if done {
                        attemptsWhileFinishing += 1
                        if attemptsWhileFinishing >= 3 {
                            let left = queue.withLock { q -> [SealJob] in
                                defer { q.removeAll() }
                                return q
                            }
                            logger.critical(
                                "stopping with segments unsealed; they are recovered at the next start",
                                metadata: ["segments": "\(left.map(\.source))"])
                        } else {
                            backoffMillis = 200
                        }
                    }
                    break
                }
            }
            let now = WallClock.monotonicNanos()
            if now - lastRetentionAt >= 10_000_000_000 || backoffMillis == 0 {
                lastRetentionAt = now
                applyRetention()
            }
            if done && queue.withLock({ $0.isEmpty }) { return }
        }
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

    /// One retention pass over the capture's directory.
    private func applyRetention() {
        let policy = retention.withLock { $0 }
        guard policy.isEnabled else { return }
        let inventory: (sealed: [RetentionPolicy.Segment], totalBytes: Int64)
        do throws(StorageError) {
            inventory = try RetentionPolicy.inventory(directory: directory, endTimes: &endTimes)
        } catch {
            logger.error("retention: cannot list the capture directory", metadata: ["error": "\(error)"])
            return
        }
        let doomed = policy.selectForDeletion(
            sealed: inventory.sealed, totalBytes: inventory.totalBytes, now: WallClock.realtimeNanos())
        for segment in doomed {
            if let err = RetentionPolicy.delete(segment, directory: directory) {
                logger.error(
                    "retention: deleting a sealed segment failed",
                    metadata: ["segment": "\(segment.base)", "errno": "\(err)"])
                return
            }
            endTimes[segment.base] = nil
            deletedCount.add(1, ordering: .relaxed)
            logger.notice(
                "retention: deleted sealed segment",
                metadata: [
                    "segment": "\(segment.base)", "bytes": "\(segment.bytes)", "ended_at_ns": "\(segment.endedAt)",
                    "files": "\(segment.files.joined(separator: ","))",
                ])
        }
    }
}
