import Histogram

/// A segment's account of what the merger did for one stream (``StreamMergeCounts`` summed
/// over the buffers the segment holds): the manifest's `merge` object.
public struct StreamMergeReport: Sendable, Equatable {
    public var lateCopies = 0
    public var latePlaced = 0
    public var lateDropped = 0
    public var holesFilled = 0
    public var holesExpired = 0
    /// Nanoseconds from a hole being noticed to the copy that filled it (nil: no hole filled).
    public var fillDelayP50: Int64?
    public var fillDelayP99: Int64?
    public var fillDelayMax: Int64?

    public init() {}

    var json: JSONValue {
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        return .object([
            ("late_copies", .int(Int64(lateCopies))), ("late_placed", .int(Int64(latePlaced))),
            ("late_dropped", .int(Int64(lateDropped))), ("holes_filled", .int(Int64(holesFilled))),
            ("holes_expired", .int(Int64(holesExpired))), ("fill_delay_p50_ns", opt(fillDelayP50)),
            ("fill_delay_p99_ns", opt(fillDelayP99)), ("fill_delay_max_ns", opt(fillDelayMax)),
        ])
    }

    init(json j: JSONValue) {
        func int(_ key: String) -> Int { Int(j[key]?.intValue ?? 0) }
        lateCopies = int("late_copies")
        latePlaced = int("late_placed")
        lateDropped = int("late_dropped")
        holesFilled = int("holes_filled")
        holesExpired = int("holes_expired")
        fillDelayP50 = j["fill_delay_p50_ns"]?.intValue
        fillDelayP99 = j["fill_delay_p99_ns"]?.intValue
        fillDelayMax = j["fill_delay_max_ns"]?.intValue
    }

    /// Whether nothing happened (no hole, no late copy).
    public var isQuiet: Bool {
        lateCopies == 0 && latePlaced == 0 && lateDropped == 0 && holesFilled == 0 && holesExpired == 0
    }

    /// Adds another segment's report (counts add; of the delay quantiles only the maximum is exact).
    public mutating func add(_ other: StreamMergeReport) {
        lateCopies += other.lateCopies
        latePlaced += other.latePlaced
        lateDropped += other.lateDropped
        holesFilled += other.holesFilled
        holesExpired += other.holesExpired
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
        r.lateCopies = counts.lateCopies
        r.latePlaced = counts.latePlaced
        r.lateDropped = counts.lateDropped
        r.holesFilled = counts.holesFilled
        r.holesExpired = counts.holesExpired
        if delays.totalCount > 0 {
            r.fillDelayP50 = Int64(delays.valueAtPercentile(50)) * 1_000
            r.fillDelayP99 = Int64(delays.valueAtPercentile(99)) * 1_000
            r.fillDelayMax = maxDelay
        }
        return r
    }
}
