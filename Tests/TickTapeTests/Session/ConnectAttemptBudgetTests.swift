import Testing

@testable import TickTape

@Suite struct ConnectAttemptBudgetTests {
    @Test func attemptsBeyondTheLimitWaitForTheWindowToSlide() {
        let budget = ConnectAttemptBudget(limit: 3, window: .seconds(10))
        let t0: Int64 = 1_000_000_000_000
        #expect(budget.acquire(now: t0) == nil)
        #expect(budget.acquire(now: t0 + 1) == nil)
        #expect(budget.acquire(now: t0 + 2) == nil)
        let wait = budget.acquire(now: t0 + 3)
        #expect(wait != nil)
        #expect(wait! <= .seconds(10) && wait! > .seconds(9))
        #expect(budget.acquire(now: t0 + 10_000_000_001) == nil, "the first attempt has left the window")
    }

    @Test func backoffIsJitteredBelowAnExponentialCeilingAndCapped() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        var rng = SplitMix64(seed: 7)
        var delays: [Duration] = []
        for _ in 0..<12 { delays.append(backoff.nextDelay(using: &rng)) }
        #expect(delays[0] <= .milliseconds(100))
        #expect(delays[3] <= .milliseconds(800))
        #expect(delays.allSatisfy { $0 <= .seconds(2) })
        #expect(Set(delays).count > 8, "full jitter spreads the delays")
        backoff.reset()
        #expect(backoff.nextDelay(using: &rng) <= .milliseconds(100))
    }
}
