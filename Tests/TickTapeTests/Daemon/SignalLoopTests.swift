import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import TickTapeDaemon

/// The daemon's signal dispatch, fed by a scripted signal sequence.
@Suite struct SignalLoopTests {
    /// A reload that never finishes (a drained connection that never closes) does not keep the
    /// loop from serving the SIGTERM after it. Before the fix the reload ran inline and the
    /// SIGTERM waited behind it.
    @Test func aSIGTERMDuringAHungReloadStillStops() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let (reloading, reloadingContinuation) = AsyncStream<Void>.makeStream()
        let loop = Task {
            await SignalLoop.serve(signals) {
                reloadingContinuation.yield()
                // Hangs until cancelled, as a reload stuck on a connection would.
                let (never, _) = AsyncStream<Void>.makeStream()
                for await _ in never {}
            }
        }
        continuation.yield(SIGHUP)
        // SIGTERM once the reload is known to be running.
        for await _ in reloading { break }
        continuation.yield(SIGTERM)
        let stopped = TestCounter()
        let returned = await finishes(within: .seconds(5)) {
            if await loop.value == SIGTERM { stopped.increment() }
        }
        #expect(returned && stopped.value == 1, "the loop returned SIGTERM while the reload still hung")
    }
}
