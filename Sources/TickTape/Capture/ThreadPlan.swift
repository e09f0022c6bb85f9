/// Which CPUs run the event loops and which one runs the merger.
///
/// `auto` reasoning, from the affinity mask the process was started with:
/// - 1 CPU: one loop there, merger unpinned (they must share).
/// - 2 CPUs: the loop on the first, the merger alone on the second, so the merger's polling
///   never delays a socket read and the reads never preempt the merge.
/// - 3+ CPUs: the first CPU is left to the kernel (interrupts, journald, writers), the last
///   one goes to the merger, the ones between to event loops, never more loops than sessions.
/// Writer threads are unpinned: they sleep in `write(2)`/`fsync` and should go wherever is idle.
package struct ThreadPlan: Sendable, Equatable {
    package var eventLoopCPUs: [Int]
    package var mergerCPU: Int?

    package init(eventLoopCPUs: [Int], mergerCPU: Int?) {
        self.eventLoopCPUs = eventLoopCPUs
        self.mergerCPU = mergerCPU
    }

    /// Resolves the configuration against the CPUs we may use. Throws if an explicit CPU is not allowed.
    package static func make(engine: EngineConfig, sessions: Int, allowed: [Int] = CPUAffinity.allowedCPUs()) throws -> ThreadPlan {
        let allowed = allowed.isEmpty ? [0] : allowed
        var merger: Int?
        switch engine.mergerCPU {
        case .unpinned: merger = nil
        case .cpu(let c):
            guard allowed.contains(c) else { throw ConfigError(file: "", line: nil, message: "merger_cpu \(c) is not in this process's CPU affinity mask \(allowed)") }
            merger = c
        case .auto: merger = allowed.count >= 2 ? allowed.last : nil
        }
        var loops: [Int]
        switch engine.eventLoopCPUs {
        case .cpus(let list):
            for c in list where !allowed.contains(c) {
                throw ConfigError(file: "", line: nil, message: "event_loop_cpus contains \(c), which is not in this process's CPU affinity mask \(allowed)")
            }
            loops = list
        case .auto:
            switch allowed.count {
            case 1: loops = allowed
            case 2: loops = allowed.filter { $0 != merger }
            default: loops = Array(allowed.dropFirst().filter { $0 != merger })
            }
            if loops.isEmpty { loops = [allowed[0]] }
            loops = Array(loops.prefix(max(1, sessions)))
        }
        return ThreadPlan(eventLoopCPUs: loops, mergerCPU: merger)
    }
}
