import Dispatch
import Synchronization

/// Runs async client code from a sink's own thread and waits for it there.
///
/// The sink thread is a plain pthread (``PinnedThread``), not a cooperative-pool thread, so
/// blocking it on a semaphore is what it is for: the pool and the event loops never wait.
enum ThreadBridge {
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}
