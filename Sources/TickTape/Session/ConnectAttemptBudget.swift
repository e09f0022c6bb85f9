import Synchronization

/// One process-wide budget of connection attempts, shared by every session.
///
/// Binance allows 300 connection attempts per 5 minutes per IP; exceeding it gets the IP
/// banned, which would take every capture down at once. A sliding window of attempt times
/// enforces the limit no matter how many sessions fail together. When the exchange itself says
/// "back off" (HTTP 429 or 418 with `Retry-After`), the whole budget is closed until then: the
/// limit is per IP, so every session of every capture must wait, not only the one refused.
package final class ConnectAttemptBudget: Sendable {
    private struct State {
        var attempts: [Int64] = []  // monotonic ns, ascending
        var limit: Int
        var windowNanos: Int64
        var blockedUntil: Int64 = .min
    }

    private let state: Mutex<State>

    package init(limit: Int, window: Duration) {
        state = Mutex(State(limit: max(1, limit), windowNanos: window.nanoseconds))
    }

    /// Changes the limit (reload).
    package func update(limit: Int, window: Duration) {
        state.withLock {
            $0.limit = max(1, limit)
            $0.windowNanos = window.nanoseconds
        }
    }

    /// Closes the budget for `duration` (a `Retry-After` from the exchange); a later, longer
    /// block extends it, a shorter one never shortens it.
    package func block(for duration: Duration, now: Int64 = WallClock.monotonicNanos()) {
        state.withLock { $0.blockedUntil = max($0.blockedUntil, now + duration.nanoseconds) }
    }

    /// Takes one attempt if the window allows it; otherwise returns how long to wait.
    package func acquire(now: Int64 = WallClock.monotonicNanos()) -> Duration? {
        state.withLock { s in
            if now < s.blockedUntil { return .nanoseconds(s.blockedUntil - now) }
            let cutoff = now - s.windowNanos
            if let firstValid = s.attempts.firstIndex(where: { $0 > cutoff }) {
                s.attempts.removeFirst(firstValid)
            } else {
                s.attempts.removeAll()
            }
            if s.attempts.count < s.limit {
                s.attempts.append(now)
                return nil
            }
            return .nanoseconds(s.attempts[0] + s.windowNanos - now + 1)
        }
    }

    /// Attempts taken in the current window.
    package var used: Int { state.withLock { $0.attempts.count } }
}
