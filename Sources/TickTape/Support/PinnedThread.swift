#if canImport(Glibc)
import CTickTapeLinux
import Glibc
import Logging
import Synchronization

/// A plain OS thread, optionally pinned to one CPU.
///
/// The merger and the segment writers are long-lived loops that must not share a cooperative
/// pool with anything else, so they get their own pthreads.
///
/// `@unchecked Sendable`: `thread` is written once, by ``start(name:cpu:_:)`` before the
/// value is shared; the exit state is behind a `Mutex`.
final class PinnedThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void
    private let name: String
    private let cpu: Int?
    private let exit = Mutex(ExitState())

    /// Whether the body has returned, and who is waiting for it to.
    private struct ExitState {
        var exited = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(name: String, cpu: Int?, body: @escaping () -> Void) {
        self.name = name
        self.cpu = cpu
        self.body = body
    }

    /// Starts `body` on a new thread named `name` (max 15 characters are kept by Linux).
    static func start(name: String, cpu: Int? = nil, _ body: @escaping @Sendable () -> Void) -> PinnedThread {
        let t = PinnedThread(name: name, cpu: cpu, body: body)
        let box = Unmanaged.passRetained(t)
        let rc = pthread_create(&t.thread, nil, { arg in
            let me = Unmanaged<PinnedThread>.fromOpaque(arg!).takeRetainedValue()
            _ = tt_set_thread_name(String(me.name.prefix(15)))
            if let cpu = me.cpu { CPUAffinity.pinOrReport(thread: me.name, cpu: cpu) }
            me.body()
            me.markExited()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return t
    }

    /// Waits for the thread to finish, blocking the caller: for threads and tests, never for
    /// async code (see ``joined()``).
    func join() {
        pthread_join(thread, nil)
    }

    /// Waits for the thread to finish without blocking a thread of the cooperative pool: the
    /// task suspends until the body has returned, and only then reaps the thread.
    func joined() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = exit.withLock { s -> Bool in
                if s.exited { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
        // The body has returned, so this join waits only for the thread's last instructions.
        pthread_join(thread, nil)
    }

    private func markExited() {
        let waiters = exit.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.exited = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

/// CPU affinity helpers (`sched_getaffinity`/`pthread_setaffinity_np` without the C macros).
package enum CPUAffinity {
    /// The CPUs this process may run on, ascending.
    package static func allowedCPUs() -> [Int] {
        var ids = [Int32](repeating: 0, count: 1024)
        let n = tt_allowed_cpus(&ids, Int32(ids.count))
        guard n > 0 else { return [0] }
        return ids.prefix(Int(n)).map(Int.init)
    }

    /// Pins the calling thread to `cpu`; the error number if the kernel refused.
    static func pinCurrentThread(to cpu: Int) -> Int32? {
        let rc = tt_pin_current_thread(Int32(cpu))
        return rc == 0 ? nil : rc
    }

    /// Threads whose pin to a CPU the kernel refused since the process started (exported as
    /// `ticktape_thread_pin_failures_total`). Process-wide because threads are.
    package static let pinFailures = Atomic<Int>(0)

    /// Pins the calling thread, and when that fails says so: the thread plan's latency
    /// promises (no preemption between merger and event loop) no longer hold, which an
    /// operator must know, but capture goes on unpinned.
    static func pinOrReport(thread name: String, cpu: Int) {
        guard let err = pinCurrentThread(to: cpu) else { return }
        pinFailures.add(1, ordering: .relaxed)
        Logger(label: "ticktape").error(
            "could not pin thread to its CPU; it runs unpinned",
            metadata: ["thread": "\(name)", "cpu": "\(cpu)", "errno": "\(err)"])
    }
}
#endif
