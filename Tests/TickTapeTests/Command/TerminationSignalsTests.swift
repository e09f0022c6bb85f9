import Dispatch
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import ticktape

/// Issue #12, defect 8 (part): `ticktape simulate` installed one dispatch source per signal but
/// cancelled only the last when its stream ended.
@Suite struct TerminationSignalsTests {
    @Test func everySignalSourceIsCancelledWhenTheStreamEnds() {
        var sources: [any DispatchSourceSignal] = []
        do {
            let made = terminationSignals([SIGUSR1, SIGUSR2])
            sources = made.sources
            #expect(sources.count == 2)
            #expect(sources.allSatisfy { !$0.isCancelled })
            _ = made.stream
        }
        // The stream is gone (nobody holds it): its termination handler has run.
        #expect(sources.allSatisfy { $0.isCancelled })
    }
}
