import Synchronization

/// A one-way gate a service opens once it is up, so that another service of the same
/// `ServiceGroup` starts only after it.
///
/// `ServiceGroup` starts every service at once and only orders their shutdown; the daemon needs
/// a start order too (the metrics endpoint listening before the first connection opens, the
/// supervisor reporting readiness only of a started engine), and this is the whole of it.
/// Waiting ends when the latch opens or the waiting task is cancelled, whichever is first, so a
/// service whose predecessor failed is never stuck behind it.
package final class StartupLatch: Sendable {
    private struct State {
        var open = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether ``open()`` has been called.
    package var isOpen: Bool { state.withLock { $0.open } }

    /// Opens the latch: every waiter, present and future, goes on.
    package func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Suspends until the latch is open or the calling task is cancelled.
    package func wait() async {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                // Cancelled before registering: the handler below found nothing to resume.
                let now = state.withLock { s -> Bool in
                    if s.open || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
