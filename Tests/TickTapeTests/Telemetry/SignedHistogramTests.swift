import Testing

@testable import TickTape

@Suite struct SignedHistogramTests {
    @Test func negativeValuesKeepTheirSignInEveryQuantile() {
        var h = SignedHistogram(limit: 60_000_000)
        for v in 1...1000 { h.record(-Int64(v) * 1000) }  // -1 ms … -1 s
        let s = h.summary
        #expect(s.count == 1000)
        let p50 = try! #require(s.p50)
        #expect(abs(p50 - -500_000) <= 5_000, "p50 \(p50)")
        #expect(s.max == -1000)
        #expect(s.min == -1_000_000)
        #expect(s.p99! > s.p50!, "quantiles stay in signed order")
    }

    @Test func quantilesSpanTheZeroCrossing() {
        var h = SignedHistogram(limit: 1_000_000)
        for v in -50..<50 { h.record(Int64(v) * 100) }
        #expect(h.value(atPercentile: 25)! < 0)
        #expect(h.value(atPercentile: 75)! > 0)
        #expect(h.minimum == -5000)
        #expect(h.maximum == 4900)
    }

    @Test func valuesBeyondTheLimitAreCountedNotDropped() {
        var h = SignedHistogram(limit: 1000)
        h.record(5000)
        h.record(-5000)
        h.record(10)
        #expect(h.count == 3)
        #expect(h.saturated == 2)
        #expect(h.maximum == 1000)
        #expect(h.minimum == -1000)
    }

    @Test func addingAndResettingKeepsTheRange() {
        var a = SignedHistogram(limit: 1000)
        var b = SignedHistogram(limit: 1000)
        a.record(-3)
        b.record(7)
        a.add(b)
        #expect(a.count == 2)
        a.reset()
        #expect(a.count == 0)
        #expect(a.summary == HistogramSummary())
    }
}
