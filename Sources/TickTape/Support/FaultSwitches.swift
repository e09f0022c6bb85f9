#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Test-only fault switches, given to the engine at construction; nil in production. Public
/// only so that the engine can take one; everything inside is `package`.
///
/// The process tests and the systemd test need a hung merger and a failing disk in a real
/// daemon. The switches used to be an atomic load on every merger poll and a `getenv` in every
/// writer; now the engine holds one optional reference, the merger pays one nil check per
/// poll round (never per message) and the writer one per buffer, and only the daemon reads the
/// environment (`TICKTAPE_TESTING_*`) to build them.
package final class FaultSwitches: Sendable {
    /// While true the merger loop stops making progress (its heartbeat stops too).
    package let hangMerger = Atomic<Bool>(false)
    /// The daemon hangs the merger when this file appears (the systemd watchdog test).
    package let mergerHangTrigger: String?
    /// While this file exists every storage write fails with ENOSPC (for tests that cannot
    /// make a small filesystem).
    package let storageFailureTrigger: String?

    package init(mergerHangTrigger: String? = nil, storageFailureTrigger: String? = nil) {
        self.mergerHangTrigger = mergerHangTrigger
        self.storageFailureTrigger = storageFailureTrigger
    }

    /// Whether the next storage write is to fail (the trigger file exists).
    package var storageWriteFails: Bool {
        guard let storageFailureTrigger else { return false }
        return access(storageFailureTrigger, F_OK) == 0
    }
}
