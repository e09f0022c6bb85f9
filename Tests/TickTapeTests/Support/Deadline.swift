import Synchronization

/// Whether `operation` finishes within `timeout`. A guard against a hang turning into a
/// test that never ends, not a synchronisation: the operation is raced against a timer on one
/// continuation (awaiting it in a task group would wait for it regardless), and an operation
/// that never finishes is left running.
func finishes(within timeout: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
    let claimed = ClaimOnce()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        Task {
            await operation()
            if claimed.claim() { continuation.resume(returning: true) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if claimed.claim() { continuation.resume(returning: false) }
        }
    }
}

/// True for the first caller of ``claim()`` only.
final class ClaimOnce: Sendable {
    private let done = Mutex(false)
    func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
}

/// A counter several tasks bump.
final class TestCounter: Sendable {
    private let count = Mutex(0)
    @discardableResult func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}
