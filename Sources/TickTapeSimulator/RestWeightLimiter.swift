/// One market's request-weight accounting, as Binance does it: a fixed window aligned in Unix time, 429 with
/// `Retry-After` (seconds to the window's end) once a request would exceed the limit, and 418 for a client
/// that keeps sending before that `Retry-After` has passed, for ``RestLimits/banDuration``.
///
/// A value type driven by explicit times, so its rules are tested without waiting.
struct RestWeightLimiter: Sendable {
    /// The outcome for one request.
    enum Decision: Equatable {
        /// Serve it; the window's weight after charging it, for `X-MBX-USED-WEIGHT-1M`.
        case admit(usedWeight: Int)
        /// 429: the weight would exceed the limit.
        case rateLimited(retryAfterSeconds: Int, usedWeight: Int)
        /// 418: banned until `retryAfterSeconds` from now.
        case banned(retryAfterSeconds: Int, usedWeight: Int)
    }

    let limit: Int
    let windowNanos: Int64
    let banNanos: Int64
    private var windowStart: Int64 = .min
    private var used = 0
    /// Until when a request counts as ignoring a 429.
    private var rateLimitedUntil: Int64 = .min
    private var bannedUntil: Int64 = .min
    private(set) var statistics = RestStatistics()

    init(limit: Int, window: Duration, ban: Duration) {
        self.limit = limit
        self.windowNanos = max(1, DelaySampler.nanos(window))
        self.banNanos = max(0, DelaySampler.nanos(ban))
    }

    /// The weight charged so far in the window containing `now` (Unix ns).
    mutating func usedWeight(at now: Int64) -> Int {
        self.roll(to: now)
        return self.used
    }

    /// Counts a request that needs `weight` at Unix time `now`.
    mutating func request(weight: Int, at now: Int64) -> Decision {
        self.roll(to: now)
        self.statistics.requests += 1
        if now < self.bannedUntil {
            self.statistics.banned += 1
            return .banned(retryAfterSeconds: Self.seconds(self.bannedUntil - now), usedWeight: self.used)
        }
        if now < self.rateLimitedUntil {
            self.bannedUntil = now + self.banNanos
            self.statistics.banned += 1
            return .banned(retryAfterSeconds: Self.seconds(self.banNanos), usedWeight: self.used)
        }
        guard self.used + weight <= self.limit else {
            let windowEnd = self.windowStart + self.windowNanos
            self.rateLimitedUntil = windowEnd
            self.statistics.rateLimited += 1
            return .rateLimited(retryAfterSeconds: Self.seconds(windowEnd - now), usedWeight: self.used)
        }
        self.used += weight
        self.statistics.weightUsed += weight
        self.statistics.maximumWindowWeight = max(self.statistics.maximumWindowWeight, self.used)
        return .admit(usedWeight: self.used)
    }

    /// Records that an admitted request was answered with a snapshot.
    mutating func noteSnapshot() {
        self.statistics.snapshots += 1
    }

    /// Counts a request that was refused before weighing (a bad parameter, a queued fault).
    mutating func noteUnweighed() {
        self.statistics.requests += 1
    }

    private mutating func roll(to now: Int64) {
        let start = now - ((now % self.windowNanos) + self.windowNanos) % self.windowNanos
        if start != self.windowStart {
            self.windowStart = start
            self.used = 0
        }
    }

    /// Whole seconds, rounded up, at least 1 (a `Retry-After` of 0 would invite an immediate retry).
    private static func seconds(_ nanos: Int64) -> Int {
        max(1, Int((nanos + 999_999_999) / 1_000_000_000))
    }
}
