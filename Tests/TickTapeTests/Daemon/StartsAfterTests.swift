import ServiceLifecycle
import Testing
import TickTape

@testable import TickTapeDaemon

/// The daemon's start-order wrapper.
@Suite struct StartsAfterTests {
    struct Probe: Service {
        let ran: TestCounter
        func run() async throws { ran.increment() }
    }

    @Test func theServiceRunsOnceItsPredecessorsAreUp() async throws {
        let first = StartupLatch()
        let second = StartupLatch()
        let ran = TestCounter()
        let service = Task { try await StartsAfter([first, second], Probe(ran: ran)).run() }
        first.open()
        second.open()
        try await service.value
        #expect(ran.value == 1)
    }

    /// A predecessor that never came up (the group cancels everything) must not start the engine
    /// behind it.
    @Test func aServiceCancelledWhileWaitingNeverRuns() async throws {
        let never = StartupLatch()
        let ran = TestCounter()
        let service = Task { try await StartsAfter([never], Probe(ran: ran)).run() }
        service.cancel()
        #expect(await finishes(within: .seconds(5)) { try? await service.value })
        #expect(ran.value == 0)
    }
}
