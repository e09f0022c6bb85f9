/// The request weight one market's REST snapshots may still spend: one per process and market, since Binance
/// counts weight per IP.
///
/// Binance counts weight in fixed minutes; ticktape cannot see where a minute starts, so it keeps a sliding
/// window instead: weight spent in the last ``window`` (plus a guard for the time a request takes to arrive)
/// must stay within ``limit``. Any fixed window of that length lies inside some sliding one, so the server's
/// count cannot exceed the limit through ticktape's own requests. `X-MBX-USED-WEIGHT-1M` is read back after
/// every response: weight the server counts beyond ticktape's own (another process on the same IP) is booked
/// as foreign spending at that moment, so the estimate only ever errs high. A 429 or 418 closes the budget
/// until its `Retry-After` has passed (a 429 without one: a whole window; a 418 without one: ten windows),
/// because retrying into a 429 is what turns it into a ban.
///
/// A value type driven by explicit times (monotonic nanoseconds), so its rules are tested without clocks.
package struct RestWeightBudget: Sendable {
    /// Whether requests may be sent.
    package enum State: Sendable, Equatable {
        case open
        /// Closed by an HTTP `status` (429 or 418) until `until`.
        case closed(until: Int64, status: Int)
    }

    /// Weight allowed per window.
    package let limit: Int
    /// Binance's window: one minute.
    package let window: Duration
    /// Added to the window for the spread of request arrival times.
    package let guardTime: Duration
    private let spanNanos: Int64
    private let windowNanos: Int64
    package private(set) var state: State = .open
    /// Weight spent (own and foreign), oldest first; entries older than the span are dropped.
    private var spends: [(at: Int64, weight: Int)] = []
    private var head = 0
    private var total = 0

    /// - Parameters:
    ///   - guardTime: by default a thirtieth of the window (2 s per minute).
    package init(limit: Int, window: Duration = .seconds(60), guardTime: Duration? = nil) {
        self.limit = max(1, limit)
        self.window = window
        self.guardTime = guardTime ?? window / 30
        self.windowNanos = Self.nanos(window)
        self.spanNanos = Self.nanos(window) + Self.nanos(self.guardTime)
    }

    /// Weight spent within the span ending at `now`.
    package mutating func spent(at now: Int64) -> Int {
        self.expire(before: now - self.spanNanos)
        return self.total
    }

    /// The earliest time at or after `now` at which `weight` may be spent: `now` when it fits; when the
    /// budget is closed, its end; otherwise when enough old spending has left the window. A weight larger
    /// than the whole limit is treated as the limit (it can only ever go alone).
    package mutating func earliestStart(weight: Int, at now: Int64) -> Int64 {
        if case .closed(let until, _) = self.state {
            if now < until { return until }
            self.state = .open
        }
        self.expire(before: now - self.spanNanos)
        let needed = min(weight, self.limit)
        var excess = self.total + needed - self.limit
        guard excess > 0 else { return now }
        var index = self.head
        while index < self.spends.count {
            excess -= self.spends[index].weight
            if excess <= 0 { return self.spends[index].at + self.spanNanos }
            index += 1
        }
        return now + self.spanNanos
    }

    /// Books `weight` as spent at `now` (call it when the request is sent).
    package mutating func spend(_ weight: Int, at now: Int64) {
        self.spends.append((now, weight))
        self.total += weight
    }

    /// Reads back `X-MBX-USED-WEIGHT-1M`: the server's count in its current minute. Weight beyond what
    /// ticktape itself spent in the last window is booked as foreign at `now`.
    package mutating func observe(usedWeight: Int, at now: Int64) {
        self.expire(before: now - self.spanNanos)
        var own = 0
        for index in self.head..<self.spends.count where self.spends[index].at > now - self.windowNanos {
            own += self.spends[index].weight
        }
        if usedWeight > own {
            self.spend(usedWeight - own, at: now)
        }
    }

    /// Closes the budget after a 429 or 418, until `retryAfter` from `now`.
    package mutating func close(status: Int, retryAfter: Duration?, at now: Int64) {
        let wait = retryAfter.map(Self.nanos) ?? (status == 418 ? 10 * self.windowNanos : self.windowNanos)
        let until = now + max(wait, 0)
        if case .closed(let current, _) = self.state, current >= until { return }
        self.state = .closed(until: until, status: status)
    }

    private mutating func expire(before cutoff: Int64) {
        while self.head < self.spends.count, self.spends[self.head].at <= cutoff {
            self.total -= self.spends[self.head].weight
            self.head += 1
        }
        if self.head > 64, self.head * 2 > self.spends.count {
            self.spends.removeFirst(self.head)
            self.head = 0
        }
    }

    private static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
