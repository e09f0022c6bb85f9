import Dispatch
import Testing

@testable import TickTape

/// Stopping the engine joins its threads from async code; that must suspend, not block a
/// thread of the cooperative pool (issue #12, structure).
@Suite struct PinnedThreadTests {
    /// More joiners than the pool has threads, each waiting for a thread that only a task on
    /// the pool can let finish. A blocking join would take every pool thread and the releasing
    /// task would never run (the test would hang until its time limit); `joined()` suspends.
    @Test(.timeLimit(.minutes(1))) func joiningFromAsyncCodeLeavesThePoolFree() async {
        let count = 16
        let gates = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        let finished = TestCounter()
        let threads = gates.map { gate in
            PinnedThread.start(name: "tt-join-test") {
                gate.wait()
                finished.increment()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for thread in threads { group.addTask { await thread.joined() } }
            group.addTask { for gate in gates { gate.signal() } }
        }
        #expect(finished.value == count, "every body had returned when its join did")
    }
}
