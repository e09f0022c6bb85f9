#if canImport(Glibc)
import CTickTapeLinux
import Glibc

/// A plain OS thread, optionally pinned to one CPU.
///
/// The merger and the segment writers are long-lived loops that must not share a cooperative
/// pool with anything else, so they get their own pthreads.
final class PinnedThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void
    private let name: String
    private let cpu: Int?

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
            if let cpu = me.cpu { _ = CPUAffinity.pinCurrentThread(to: cpu) }
            me.body()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return t
    }

    /// Waits for the thread to finish.
    func join() {
        pthread_join(thread, nil)
    }
}

/// CPU affinity helpers (`sched_getaffinity`/`pthread_setaffinity_np` without the C macros).
public enum CPUAffinity {
    /// The CPUs this process may run on, ascending.
    public static func allowedCPUs() -> [Int] {
        var ids = [Int32](repeating: 0, count: 1024)
        let n = tt_allowed_cpus(&ids, Int32(ids.count))
        guard n > 0 else { return [0] }
        return ids.prefix(Int(n)).map(Int.init)
    }

    /// Pins the calling thread to `cpu`. Returns false if the kernel refused.
    @discardableResult
    static func pinCurrentThread(to cpu: Int) -> Bool {
        tt_pin_current_thread(Int32(cpu)) == 0
    }
}
#endif
