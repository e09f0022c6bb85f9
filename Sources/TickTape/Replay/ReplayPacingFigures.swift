import Histogram
import Synchronization

/// How late paced replay lines left the server against their deadlines (the time the pump
/// wrote them minus ``ReplayClock/deadline(of:)``), over every paced connection since the
/// last ``take()``.
///
/// Why measured on the server too: a client's arrival times add its own scheduling, which on
/// a loaded machine dominates; this is the replay's own error. `max` connections have no
/// deadlines and are not counted. A lock per line is fine at paced rates (thousands a second).
package final class ReplayPacingFigures: Sendable {
    /// Lines counted and their lateness in ns (early lines, up to the pump's 20 µs, count as 0).
    package struct Summary: Sendable, Equatable {
        package var count: Int
        package var p50: Int64
        package var p99: Int64
        package var max: Int64
    }

    private let state = Mutex(Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three))

    package init() {}

    func record(lateness: Int64) {
        let value = UInt64(min(max(lateness, 0), 600_000_000_000))
        state.withLock { _ = $0.record(value) }
    }

    /// The figures so far, and a fresh start.
    package func take() -> Summary {
        state.withLock { h in
            defer { h.reset() }
            guard h.totalCount > 0 else { return Summary(count: 0, p50: 0, p99: 0, max: 0) }
            return Summary(
                count: Int(h.totalCount), p50: Int64(h.valueAtPercentile(50)), p99: Int64(h.valueAtPercentile(99)),
                max: Int64(h.max))
        }
    }
}
