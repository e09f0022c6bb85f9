import Testing

@testable import TickTape

@Suite struct RateLimitedLogTests {
    @Test func oneLinePerIntervalAndTheNextCarriesTheCountHeldBack() {
        var log = RateLimitedLog(every: .seconds(10))
        let s: Int64 = 1_000_000_000
        #expect(log.admit(now: 100 * s) == 0, "the first line always goes out")
        #expect(log.admit(now: 101 * s) == nil)
        #expect(log.admit(now: 109 * s) == nil)
        #expect(log.admit(now: 110 * s) == 2)
        #expect(log.admit(now: 111 * s) == nil)
        #expect(log.admit(now: 200 * s) == 1)
    }
}
