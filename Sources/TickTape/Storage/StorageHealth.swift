#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// What went wrong on one capture's durability path: every failure the writer, the sealer and
/// crash recovery meet is counted here, exported in `/metrics`, and, while it threatens
/// durability, shown as an alarm in STATUS.
///
/// Why one object: these failures used to be ignored (`_ = fsync(…)`) or counted in a field
/// nobody read. Writer and sealer share it, the scrape and the status line read it, so the
/// fields are atomics (relaxed: independent counters and flags, no ordering between them).
/// Directory fsyncs go through ``syncDirectory(_:)`` so that no caller can drop their result;
/// `fsync` is injectable so tests can make it fail.
package final class StorageHealth: Sendable {
    private let logger: Logger
    /// The `fsync(2)` used for directories and the gap ledger (tests inject failures).
    let fsync: @Sendable (Int32) -> Int32
    private let directoryLog = Mutex(RateLimitedLog(every: .seconds(10)))

    /// Segment writes that failed (each retry counts).
    package let writeErrors = Atomic<Int>(0)
    /// fsyncs of the open segment that failed.
    package let segmentSyncFailures = Atomic<Int>(0)
    /// Directory fsyncs that failed: a rename or a new file may not survive a power loss.
    package let directorySyncFailures = Atomic<Int>(0)
    /// Gap-ledger appends that failed (retried) and ledger fsyncs that failed.
    package let ledgerWriteFailures = Atomic<Int>(0)
    package let ledgerSyncFailures = Atomic<Int>(0)
    /// Crash-recovery scans that could not list the capture directory.
    package let recoveryScanFailures = Atomic<Int>(0)
    /// Seal attempts that failed, and seal jobs given up on (left unsealed for a human).
    package let sealFailures = Atomic<Int>(0)
    package let sealJobsSetAside = Atomic<Int>(0)
    /// Buffered lines discarded because the disk still failed at shutdown.
    package let linesDiscardedAtShutdown = Atomic<Int>(0)

    /// Whether the last attempt of each kind failed (alarm conditions; cleared by a success).
    package let writesFailing = Atomic<Bool>(false)
    package let segmentSyncFailing = Atomic<Bool>(false)
    package let directorySyncFailing = Atomic<Bool>(false)
    package let ledgerFailing = Atomic<Bool>(false)
    package let sealingFailing = Atomic<Bool>(false)
    /// Crash recovery did not run (the directory could not be listed); stands until a restart.
    package let recoverySkipped = Atomic<Bool>(false)

    package init(logger: Logger, fsync: @escaping @Sendable (Int32) -> Int32 = { Glibc.fsync($0) }) {
        self.logger = logger
        self.fsync = fsync
    }

    /// fsyncs `path` (a directory), so the names created or removed in it survive a power loss.
    /// A failure is logged (rate-limited), counted and raises the directory alarm; the next
    /// success clears it (one directory fsync makes every earlier entry durable). Returns
    /// whether it worked.
    @discardableResult
    func syncDirectory(_ path: String) -> Bool {
        let failure: StorageError?
        let dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 {
            failure = StorageError(operation: "open directory", path: path, errno: errno)
        } else {
            failure = fsync(dfd) == 0 ? nil : StorageError(operation: "fsync directory", path: path, errno: errno)
            _ = Glibc.close(dfd)
        }
        guard let failure else {
            if directorySyncFailing.exchange(false, ordering: .relaxed) {
                logger.notice("directory fsync works again", metadata: ["path": "\(path)"])
            }
            return true
        }
        directorySyncFailures.add(1, ordering: .relaxed)
        directorySyncFailing.store(true, ordering: .relaxed)
        directoryLog.withLock {
            $0.log(
                logger, .error, "directory fsync failed; new and renamed files may not survive a power loss",
                metadata: ["error": "\(failure)"])
        }
        return false
    }

    /// The alarms STATUS shows for this capture, most severe first; empty when all is well.
    package var statusAlarms: [String] {
        var out: [String] = []
        if writesFailing.load(ordering: .relaxed) { out.append("STORAGE FAILING") }
        if segmentSyncFailing.load(ordering: .relaxed) { out.append("FSYNC FAILING") }
        if directorySyncFailing.load(ordering: .relaxed) { out.append("DIRECTORY FSYNC FAILING") }
        if ledgerFailing.load(ordering: .relaxed) { out.append("GAP LEDGER FAILING") }
        if recoverySkipped.load(ordering: .relaxed) { out.append("CRASH RECOVERY SKIPPED") }
        if sealingFailing.load(ordering: .relaxed) { out.append("SEALING FAILING") }
        let aside = sealJobsSetAside.load(ordering: .relaxed)
        if aside > 0 { out.append("\(aside) SEGMENT\(aside == 1 ? "" : "S") LEFT UNSEALED") }
        let discarded = linesDiscardedAtShutdown.load(ordering: .relaxed)
        if discarded > 0 { out.append("\(discarded) lines discarded at shutdown") }
        return out
    }

    /// The figures as one value, for the exporter.
    package var snapshot: Snapshot {
        Snapshot(
            writeErrors: writeErrors.load(ordering: .relaxed),
            segmentSyncFailures: segmentSyncFailures.load(ordering: .relaxed),
            directorySyncFailures: directorySyncFailures.load(ordering: .relaxed),
            ledgerWriteFailures: ledgerWriteFailures.load(ordering: .relaxed),
            ledgerSyncFailures: ledgerSyncFailures.load(ordering: .relaxed),
            recoveryScanFailures: recoveryScanFailures.load(ordering: .relaxed),
            sealFailures: sealFailures.load(ordering: .relaxed),
            sealJobsSetAside: sealJobsSetAside.load(ordering: .relaxed),
            linesDiscardedAtShutdown: linesDiscardedAtShutdown.load(ordering: .relaxed),
            alarms: [
                ("storage_failing", writesFailing.load(ordering: .relaxed)),
                ("fsync_failing", segmentSyncFailing.load(ordering: .relaxed)),
                ("directory_fsync_failing", directorySyncFailing.load(ordering: .relaxed)),
                ("gap_ledger_failing", ledgerFailing.load(ordering: .relaxed)),
                ("crash_recovery_skipped", recoverySkipped.load(ordering: .relaxed)),
                ("sealing_failing", sealingFailing.load(ordering: .relaxed)),
                ("segments_left_unsealed", sealJobsSetAside.load(ordering: .relaxed) > 0),
            ].map { Snapshot.Alarm(name: $0.0, on: $0.1) })
    }

    /// ``StorageHealth``'s figures at one moment.
    package struct Snapshot: Sendable, Equatable {
        package var writeErrors: Int
        package var segmentSyncFailures: Int
        package var directorySyncFailures: Int
        package var ledgerWriteFailures: Int
        package var ledgerSyncFailures: Int
        package var recoveryScanFailures: Int
        package var sealFailures: Int
        package var sealJobsSetAside: Int
        package var linesDiscardedAtShutdown: Int
        /// Every storage alarm by its `/metrics` label, on or off.
        package var alarms: [Alarm]

        package struct Alarm: Sendable, Equatable {
            package var name: String
            package var on: Bool
        }
    }
}
