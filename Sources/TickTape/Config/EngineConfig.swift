/// The `[engine]` table: threads, pinning and the queues between them.
///
/// Everything here has a default that suits a small dedicated machine; it exists to be
/// tuned on a loaded host, where pinning the merger away from the event loops is what
/// keeps capture latency flat.
package struct EngineConfig: Sendable, Equatable {
    /// `event_loop_cpus`: where the networking event loops run (default `"auto"`).
    package var eventLoopCPUs: CPUSelection
    /// `merger_cpu`: where the merger thread runs (default `"auto"`).
    package var mergerCPU: MergerCPU
    /// `merger_idle`: how the merger waits for input (default `"backoff"`).
    package var mergerIdle: MergerIdleStrategy
    /// `ring_capacity`: frames per connection ring, a power of two from 1024 to 4194304
    /// (default 65536); a full ring drops frames from that connection, not the others.
    package var ringCapacity: Int
    /// `connect_budget`: how many connection attempts all captures together may make per
    /// `connectBudgetWindow` (default 300), to stay clear of Binance's connection-rate ban.
    package var connectBudget: Int
    /// `connect_budget_window`: the window `connectBudget` applies to (default `"5m"`).
    package var connectBudgetWindow: Duration

    /// Builds engine settings in code; every default is that of the file format.
    package init(
        eventLoopCPUs: CPUSelection = .auto,
        mergerCPU: MergerCPU = .auto,
        mergerIdle: MergerIdleStrategy = .backoff,
        ringCapacity: Int = 65536,
        connectBudget: Int = 300,
        connectBudgetWindow: Duration = .seconds(300)
    ) {
        self.eventLoopCPUs = eventLoopCPUs
        self.mergerCPU = mergerCPU
        self.mergerIdle = mergerIdle
        self.ringCapacity = ringCapacity
        self.connectBudget = connectBudget
        self.connectBudgetWindow = connectBudgetWindow
    }

    static let keys = [
        "event_loop_cpus", "merger_cpu", "merger_idle", "ring_capacity", "connect_budget", "connect_budget_window",
    ]
    static let cpuRange = 0...4095
    static let ringCapacityRange = 1024...(1 << 22)
    static let connectBudgetRange = 1...100_000
    static let connectBudgetWindowRange = Duration.seconds(1)...Duration.seconds(86_400)

    /// Reads `[engine]`; absent keys keep their defaults.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        let cpuText = "an integer from \(Self.cpuRange.lowerBound) to \(Self.cpuRange.upperBound)"
        if let value = reader.value("event_loop_cpus") {
            let expected = "\"auto\" or a non-empty list of distinct CPU numbers like [0, 1]"
            switch value.kind {
            case .string("auto"):
                eventLoopCPUs = .auto
            case .array(let elements) where !elements.isEmpty:
                var cpus: [Int] = []
                for element in elements {
                    guard case .integer(let cpu) = element.kind, Self.cpuRange.contains(cpu), !cpus.contains(cpu) else {
                        throw reader.invalid("event_loop_cpus", value, expected: expected + " (each \(cpuText))")
                    }
                    cpus.append(cpu)
                }
                eventLoopCPUs = .cpus(cpus)
            default:
                throw reader.invalid("event_loop_cpus", value, expected: expected)
            }
        }
        if let value = reader.value("merger_cpu") {
            switch value.kind {
            case .string("auto"):
                mergerCPU = .auto
            case .string("none"):
                mergerCPU = .unpinned
            case .integer(let cpu) where Self.cpuRange.contains(cpu):
                mergerCPU = .cpu(cpu)
            default:
                throw reader.invalid("merger_cpu", value, expected: "\"auto\", \"none\" or a CPU number (\(cpuText))")
            }
        }
        if case .cpus(let cpus) = eventLoopCPUs, case .cpu(let cpu) = mergerCPU, cpus.contains(cpu),
            let value = reader.value("merger_cpu")
        {
            throw reader.fail(
                "merger_cpu \(cpu) is also in event_loop_cpus; the merger needs a CPU of its own (or \"none\")",
                line: value.line)
        }
        if let idle = try reader.choice("merger_idle", as: MergerIdleStrategy.self) {
            mergerIdle = idle
        }
        if let capacity = try reader.integer(
            "ring_capacity", in: Self.ringCapacityRange,
            expected: "a power of two from 1024 to 4194304 (like 65536)")
        {
            guard capacity & (capacity - 1) == 0 else {
                throw reader.fail(
                    "ring_capacity must be a power of two from 1024 to 4194304 (like 65536), got \(capacity)",
                    line: reader.value("ring_capacity")?.line)
            }
            ringCapacity = capacity
        }
        if let budget = try reader.integer("connect_budget", in: Self.connectBudgetRange) {
            connectBudget = budget
        }
        if case .some(.some(let window)) = try reader.duration(
            "connect_budget_window", in: Self.connectBudgetWindowRange, example: .seconds(300))
        {
            connectBudgetWindow = window
        }
    }
}
