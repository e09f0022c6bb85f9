/// Exponential backoff with full jitter, capped.
///
/// Full jitter (a uniform draw between zero and the exponential ceiling) spreads N sessions
/// that failed together, so a network blip never turns into a synchronized reconnect storm.
package struct ReconnectBackoff: Sendable {
    package var initial: Duration
    package var maximum: Duration
    package private(set) var failures = 0

    package init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; each call counts one more failure.
    package mutating func nextDelay<R: RandomNumberGenerator>(using rng: inout R) -> Duration {
        let base = max(initial.nanoseconds, 1)
        let shift = min(failures, 30)
        failures += 1
        let ceiling = min(maximum.nanoseconds, base.multipliedReportingOverflow(by: 1 << shift).overflow ? Int64.max : base << shift)
        return .nanoseconds(Int64.random(in: 0...max(ceiling, 1), using: &rng))
    }

    package mutating func nextDelay() -> Duration {
        var rng = SystemRandomNumberGenerator()
        return nextDelay(using: &rng)
    }

    /// Called once a connection proved healthy (delivered data).
    package mutating func reset() { failures = 0 }
}
