import Testing

@testable import TickTape

@Suite struct ThreadPlanTests {
    func engine(_ extra: String = "") throws -> EngineConfig {
        try makeConfig(
            dataDir: "/tmp", engine: extra,
            captures: #"[[capture]]\#nname = "x"\#nurl = "ws://127.0.0.1:1/ws/a@trade"\#nconnections = 4"#
        ).engine
    }

    @Test func twoCPUsGiveTheMergerACoreOfItsOwn() throws {
        let plan = try ThreadPlan.make(engine: try engine(), sessions: 4, allowed: [0, 1])
        #expect(plan == ThreadPlan(eventLoopCPUs: [0], mergerCPU: 1))
    }

    @Test func manyCPUsLeaveTheFirstToTheKernelAndCapLoopsAtSessions() throws {
        let plan = try ThreadPlan.make(engine: try engine(), sessions: 2, allowed: Array(0..<8))
        #expect(plan == ThreadPlan(eventLoopCPUs: [1, 2], mergerCPU: 7))
    }

    @Test func oneCPUSharesIt() throws {
        let plan = try ThreadPlan.make(engine: try engine(), sessions: 4, allowed: [3])
        #expect(plan == ThreadPlan(eventLoopCPUs: [3], mergerCPU: nil))
    }

    @Test func explicitCPUOutsideTheAffinityMaskIsRejected() throws {
        #expect(throws: ConfigError.self) {
            _ = try ThreadPlan.make(engine: try engine("event_loop_cpus = [5]"), sessions: 1, allowed: [0, 1])
        }
    }
}
