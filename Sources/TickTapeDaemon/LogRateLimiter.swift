import Synchronization

/// Stops a repeating warning or error from flooding the journal.
///
/// Each call site (file and line) may log `burst` messages per `window`; further ones are
/// counted, and the next message that gets through carries `suppressed=<count>`.
package final class LogRateLimiter: Sendable {
    private struct Site: Hashable {
        var file: String
        var line: UInt
    }

    private struct Entry {
        var windowStart: Int64
        var count: Int
        var suppressed: Int
    }

    private let burst: Int
    private let windowNanos: Int64
    private let sites = Mutex<[Site: Entry]>([:])

    package init(burst: Int = 5, window: Duration = .seconds(10)) {
        self.burst = burst
        self.windowNanos = Int64(window.components.seconds) * 1_000_000_000
    }

    /// Whether to emit; if so, how many were suppressed since the last emitted one.
    package func admit(file: String, line: UInt, now: Int64) -> (emit: Bool, suppressed: Int) {
        sites.withLock { sites in
            let site = Site(file: file, line: line)
            var entry = sites[site] ?? Entry(windowStart: now, count: 0, suppressed: 0)
            if now - entry.windowStart >= windowNanos {
                entry.windowStart = now
                entry.count = 0
            }
            entry.count += 1
            if entry.count > burst {
                entry.suppressed += 1
                sites[site] = entry
                return (false, 0)
            }
            let suppressed = entry.suppressed
            entry.suppressed = 0
            sites[site] = entry
            return (true, suppressed)
        }
    }
}
