#if canImport(Glibc)
import Glibc
#endif

/// How the sealer retries a failed seal job, and when it stops.
///
/// Why the distinction: a full disk (ENOSPC) or an exhausted descriptor table cures itself and
/// must be waited out, never given up on; a job whose source vanished, or that fails the same
/// way every time (EIO, EACCES, a conflicting sealed file), never will, and retrying it forever
/// at the head of the queue used to block every later seal.
package struct SealRetryPolicy: Sendable, Equatable {
    /// Backoff after a pass in which some job failed: doubles from `initialBackoff` up to
    /// `maximumBackoff`.
    package var initialBackoff: Duration
    package var maximumBackoff: Duration
    /// Consecutive failures of a kind waiting does not cure before the job is set aside.
    package var permanentAfter: Int
    /// Attempts per job once shutdown has begun; then it is left for recovery at the next start.
    package var attemptsAtShutdown: Int
    /// Backoff between attempts once shutdown has begun.
    package var shutdownBackoff: Duration

    package init(
        initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(60), permanentAfter: Int = 5,
        attemptsAtShutdown: Int = 3, shutdownBackoff: Duration = .milliseconds(200)
    ) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.permanentAfter = permanentAfter
        self.attemptsAtShutdown = attemptsAtShutdown
        self.shutdownBackoff = shutdownBackoff
    }

    /// What a failure says about the job's future.
    package enum Verdict: Sendable, Equatable {
        /// Waiting can cure it (disk full, quota, descriptors, memory): retry, never give up.
        case transient
        /// It failed in a way that usually repeats: retry, but only `permanentAfter` times in a row.
        case persistent
        /// It can never succeed (source gone, conflicting seal): set aside now.
        case hopeless(String)
    }

    /// Classifies `error` from sealing `job`.
    package static func verdict(for error: any Error, job: SealJob) -> Verdict {
        if let e = error as? SealError { return .hopeless(e.message) }
        if access(job.source, F_OK) != 0 && errno == ENOENT { return .hopeless("the source \(job.source) no longer exists") }
        if let e = error as? StorageError, transientErrnos.contains(e.errno) { return .transient }
        return .persistent
    }

    static let transientErrnos: Set<Int32> = [ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR, EBUSY]
}
