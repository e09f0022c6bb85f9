import Histogram
import Synchronization

/// One sink's figures for one capture, written by the sink thread, read by `/metrics`, STATUS
/// and the log: atomics and one small lock, never touched by a capture thread.
package final class SinkStatistics: Sendable {
    package let sink: String
    package let capture: String
    /// Rows the target confirmed, by table kind (``SinkTableKind`` order).
    package let rowsWritten = Atomic<Int>(0)
    /// Lines consumed (confirmed) since start.
    package let linesConsumed = Atomic<Int>(0)
    package let batchesWritten = Atomic<Int>(0)
    /// Failed connects and writes.
    package let errors = Atomic<Int>(0)
    /// Attempts after a failure (each reconnect and rewrite).
    package let retries = Atomic<Int>(0)
    /// Lines of a market-data kind with a missing or malformed field (no row).
    package let rejectedLines = Atomic<Int>(0)
    /// Lines that were not `<ns> <frame>` and torn tails skipped.
    package let malformedLines = Atomic<Int>(0)
    /// Segments that vanished before the sink read them (ledger entries).
    package let lostSegments = Atomic<Int>(0)
    /// Lines not yet confirmed: read into the pending batch plus the backlog on disk (estimated
    /// from its bytes and the mean line length).
    package let lagMessages = Atomic<Int>(0)
    /// Age of the oldest unconfirmed line, in µs (0 when caught up).
    package let lagMicros = Atomic<Int>(0)
    /// Whether the target's connection is up.
    package let connected = Atomic<Bool>(false)
    /// Segments (data and manifest) archived whole (`s3`), and their bytes.
    package let segmentsUploaded = Atomic<Int>(0)
    package let bytesUploaded = Atomic<Int>(0)
    /// Sealed segments not yet archived (`s3`).
    package let lagSegments = Atomic<Int>(0)
    /// Segments whose key already held a different object (`s3`): never overwritten, kept
    /// locally, a ledger entry each.
    package let conflicts = Atomic<Int>(0)
    /// Rows per second over the last report interval (×1000, as an integer).
    package let rowsPerSecondMilli = Atomic<Int>(0)
    private let state = Mutex<State>(State())

    private struct State {
        var lastError: String?
        /// Receive → commit, µs, since start.
        var delivery = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
    }

    package init(sink: String, capture: String) {
        self.sink = sink
        self.capture = capture
    }

    package var lastError: String? { state.withLock { $0.lastError } }

    func setError(_ message: String?) { state.withLock { $0.lastError = message } }

    /// Records each line's receive → commit delay.
    func recordDelivery(stamps: [Int64], committedAt: Int64) {
        state.withLock { s in
            for stamp in stamps {
                let micros = max(0, committedAt - stamp) / 1000
                s.delivery.record(UInt64(min(micros, 3_600_000_000)))
            }
        }
    }

    /// Delivery latency quantiles in µs (p50, p99, max), nil before the first commit.
    package var deliveryMicros: (p50: Int64, p99: Int64, max: Int64)? {
        state.withLock { s in
            guard s.delivery.totalCount > 0 else { return nil }
            return (Int64(s.delivery.valueAtPercentile(50)), Int64(s.delivery.valueAtPercentile(99)), Int64(s.delivery.max))
        }
    }
}
