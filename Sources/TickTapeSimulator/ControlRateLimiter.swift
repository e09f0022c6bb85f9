import NIOCore

/// Binance's incoming-message limit: at most `limit` text/ping/pong frames within any one second.
///
/// Keeps the arrival times of the last `limit` frames in a ring; a new frame arriving less than a second after
/// the oldest of them is one too many.
struct ControlRateLimiter {
    private var arrivals: [UInt64]
    private var next = 0

    init(limit: Int) {
        self.arrivals = Array(repeating: 0, count: max(1, limit))
    }

    /// Records an arrival; `false` means the connection exceeded the limit.
    mutating func admit(at now: NIODeadline) -> Bool {
        let nanos = now.uptimeNanoseconds
        let oldest = self.arrivals[self.next]
        if oldest != 0, nanos &- oldest < 1_000_000_000 {
            return false
        }
        self.arrivals[self.next] = nanos
        self.next = (self.next + 1) % self.arrivals.count
        return true
    }
}
