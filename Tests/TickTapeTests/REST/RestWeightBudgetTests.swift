import Testing

@testable import TickTape

@Suite("REST weight budget: sliding window, read-back, 429/418")
struct RestWeightBudgetTests {
    let second: Int64 = 1_000_000_000

    @Test("weights by limit follow Binance's tables")
    func weights() {
        #expect([5, 10, 20, 50, 100, 500, 1000].map { RestMarket.usdm.snapshotWeight(limit: $0) } == [2, 2, 2, 2, 5, 10, 20])
        #expect(RestMarket.usdm.snapshotWeight(limit: 200) == nil)
        #expect([1, 100, 101, 500, 501, 1000, 1001, 5000].map { RestMarket.spot.snapshotWeight(limit: $0) } == [5, 5, 25, 25, 50, 50, 250, 250])
        #expect(RestMarket.spot.snapshotWeight(limit: 5001) == nil && RestMarket.spot.snapshotWeight(limit: 0) == nil)
    }

    @Test("spending fills the window; the next start is when the oldest spend leaves window + guard")
    func slidingWindow() {
        var budget = RestWeightBudget(limit: 100, window: .seconds(60), guardTime: .seconds(2))
        for i in 0..<5 {
            #expect(budget.earliestStart(weight: 20, at: Int64(i) * second) == Int64(i) * second)
            budget.spend(20, at: Int64(i) * second)
        }
        #expect(budget.spent(at: 5 * second) == 100)
        // The first 20 (spent at 0 s) leaves at 62 s.
        #expect(budget.earliestStart(weight: 20, at: 5 * second) == 62 * second)
        // 40 needs the first two gone: 63 s.
        #expect(budget.earliestStart(weight: 40, at: 5 * second) == 63 * second)
        #expect(budget.earliestStart(weight: 20, at: 62 * second) == 62 * second)
        #expect(budget.spent(at: 62 * second) == 80)
    }

    @Test("X-MBX-USED-WEIGHT-1M above ticktape's own spending is booked as foreign weight")
    func readBack() {
        var budget = RestWeightBudget(limit: 100, window: .seconds(60), guardTime: .zero)
        budget.spend(20, at: 0)
        budget.observe(usedWeight: 90, at: second)  // someone else on the IP used 70
        #expect(budget.spent(at: second) == 90)
        #expect(budget.earliestStart(weight: 20, at: second) == 60 * second, "the first 20 leaving makes room")
        budget.observe(usedWeight: 10, at: 2 * second)  // a lower count never lowers the estimate
        #expect(budget.spent(at: 2 * second) == 90)
    }

    @Test("a 429 closes the budget until Retry-After; a 418 without one for ten windows")
    func closes() {
        var budget = RestWeightBudget(limit: 100, window: .seconds(60))
        budget.close(status: 429, retryAfter: .seconds(7), at: 10 * second)
        #expect(budget.state == .closed(until: 17 * second, status: 429))
        #expect(budget.earliestStart(weight: 2, at: 11 * second) == 17 * second)
        #expect(budget.earliestStart(weight: 2, at: 17 * second) == 17 * second)
        #expect(budget.state == .open)
        budget.close(status: 418, retryAfter: nil, at: 20 * second)
        #expect(budget.state == .closed(until: 620 * second, status: 418))
        budget.close(status: 429, retryAfter: .seconds(1), at: 21 * second)
        #expect(budget.state == .closed(until: 620 * second, status: 418), "a shorter close does not shorten a ban")
    }
}
