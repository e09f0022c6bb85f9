#if canImport(Glibc)
import Glibc
#endif

/// Lowers the calling thread's scheduling priority, for work that must yield the CPU to the
/// capture path when they share one: sealing, the relay's fan-out and its event loops.
///
/// Linux keeps nice values per thread (`setpriority` with `who` 0 is the calling thread), so
/// this touches no other thread of the process. Failure is harmless (the thread keeps its
/// priority) and is not reported.
package enum ThreadPriority {
    /// The nice value of background threads (sealer, relay, listener).
    package static let background: Int32 = 10

    package static func lowerCurrentThread(to nice: Int32 = background) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
    }
}
