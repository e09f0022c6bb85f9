import Histogram

/// A segment's account of what the merger did for one stream (``StreamMergeCounts`` summed
/// over the buffers the segment holds): the manifest's `merge` object.
package struct StreamMergeReport: Sendable, Equatable {
    /// The counts (``StreamMergeCounts/fillDelays`` stays empty: summarised below).
    package var counts = StreamMergeCounts()
    /// Nanoseconds from a hole being noticed to the copy that filled it (nil: no hole filled).
    package var fillDelayP50: Int64?
    package var fillDelayP99: Int64?
    package var fillDelayMax: Int64?

    package init() {}

    /// The manifest's key for each count.
    private static var keys: [(String, WritableKeyPath<StreamMergeCounts, Int>)] {
        [
            ("late_copies", \.lateCopies), ("late_placed", \.latePlaced), ("late_dropped", \.lateDropped),
            ("holes_filled", \.holesFilled), ("holes_expired", \.holesExpired),
        ]
    }

    var json: JSONValue {
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        return .object(
            Self.keys.map { ($0.0, JSONValue.int(Int64(counts[keyPath: $0.1]))) } + [
                ("fill_delay_p50_ns", opt(fillDelayP50)), ("fill_delay_p99_ns", opt(fillDelayP99)),
                ("fill_delay_max_ns", opt(fillDelayMax)),
            ])
    }

    init(json j: JSONValue) {
        for (key, path) in Self.keys { counts[keyPath: path] = Int(j[key]?.intValue ?? 0) }
        fillDelayP50 = j["fill_delay_p50_ns"]?.intValue
        fillDelayP99 = j["fill_delay_p99_ns"]?.intValue
        fillDelayMax = j["fill_delay_max_ns"]?.intValue
    }

    /// Adds another segment's report (counts add; of the delay quantiles only the maximum is exact).
    package mutating func add(_ other: StreamMergeReport) {
        counts.add(other.counts)
        if let m = other.fillDelayMax { fillDelayMax = max(fillDelayMax ?? m, m) }
        if let p = other.fillDelayP99 { fillDelayP99 = max(fillDelayP99 ?? p, p) }
        if let p = other.fillDelayP50 { fillDelayP50 = max(fillDelayP50 ?? p, p) }
    }
}

/// The writer's running total of ``StreamMergeCounts`` for the open segment, per stream; fill
/// delays go into an HdrHistogram (µs, two significant digits) instead of a growing list.
struct StreamMergeTally {
    private var counts = StreamMergeCounts()
    private var delays = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .two)
    private var maxDelay: Int64 = 0

    mutating func add(_ c: StreamMergeCounts) {
        var plain = c
        plain.fillDelays = []
        counts.add(plain)
        for d in c.fillDelays {
            delays.record(UInt64(min(max(d / 1_000, 0), 600_000_000)))
            maxDelay = max(maxDelay, d)
        }
    }

    var report: StreamMergeReport {
        var r = StreamMergeReport()
        r.counts = counts
        if delays.totalCount > 0 {
            r.fillDelayP50 = Int64(delays.valueAtPercentile(50)) * 1_000
            r.fillDelayP99 = Int64(delays.valueAtPercentile(99)) * 1_000
            r.fillDelayMax = maxDelay
        }
        return r
    }
}
