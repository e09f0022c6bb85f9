import Histogram

/// A high-dynamic-range histogram of signed values: one HdrHistogram for values ≥ 0 and one
/// for the magnitudes of values < 0.
///
/// HdrHistogram records `UInt64`, but latency against the exchange's clock is honestly
/// negative when the host clock runs behind Binance's (the reference recording was made 1.27 s
/// behind). Clamping would hide exactly the fault the figure exists to show, and an offset
/// would cost resolution near zero, so the sign picks the histogram and quantiles are read
/// across both in signed order. Values beyond ±``limit`` are recorded at the limit and counted
/// in ``saturated``.
package struct SignedHistogram: Sendable {
    /// Values ≥ 0.
    @usableFromInline var positive: Histogram<UInt64>
    /// Magnitudes of values < 0.
    @usableFromInline var negative: Histogram<UInt64>
    /// The largest magnitude tracked.
    package let limit: UInt64
    /// Values recorded at ±``limit`` because they were beyond it.
    package private(set) var saturated: UInt64 = 0

    /// A histogram tracking `-limit...limit` at two significant digits (1 % resolution): enough
    /// for a p99 and small enough (a few tens of KiB) to keep many in cache.
    package init(limit: UInt64) {
        self.limit = limit
        positive = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: limit, numberOfSignificantValueDigits: .two)
        negative = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: limit, numberOfSignificantValueDigits: .two)
    }

    /// Values recorded.
    @inlinable package var count: UInt64 { positive.totalCount &+ negative.totalCount }

    /// Records one value; never allocates.
    @inlinable
    package mutating func record(_ value: Int64) {
        if value >= 0 {
            let v = UInt64(value)
            if v <= limit { positive.record(v) } else { recordSaturated(negative: false) }
        } else {
            let v = value.magnitude
            if v <= limit { negative.record(v) } else { recordSaturated(negative: true) }
        }
    }

    @usableFromInline
    mutating func recordSaturated(negative isNegative: Bool) {
        saturated &+= 1
        if isNegative { negative.record(limit) } else { positive.record(limit) }
    }

    /// Adds every value of `other` (same limit).
    package mutating func add(_ other: SignedHistogram) {
        positive.add(other.positive)
        negative.add(other.negative)
        saturated &+= other.saturated
    }

    /// Forgets every value, keeping the storage.
    package mutating func reset() {
        positive.reset()
        negative.reset()
        saturated = 0
    }

    /// The value at `percentile` (0–100) in signed order, or nil when empty.
    package func value(atPercentile percentile: Double) -> Int64? {
        let n = count
        guard n > 0 else { return nil }
        let negatives = negative.totalCount
        if percentile >= 100 { return maximum }
        // 1-based rank of the requested value among all values in ascending signed order.
        let rank = Swift.max(1, UInt64((percentile / 100 * Double(n)).rounded(.up)))
        if rank <= negatives {
            // The rank-th smallest signed value is the (negatives - rank + 1)-th smallest magnitude.
            let fromSmallest = negatives - rank + 1
            let p = Double(fromSmallest) / Double(negatives) * 100
            return -Int64(negative.valueAtPercentile(Swift.min(p, 100)))
        }
        let p = Double(rank - negatives) / Double(positive.totalCount) * 100
        return Int64(positive.valueAtPercentile(Swift.min(p, 100)))
    }

    /// The largest value recorded, or nil when empty.
    package var maximum: Int64? {
        if positive.totalCount > 0 { return Int64(positive.maxRecorded) }
        if negative.totalCount > 0 { return -Int64(negative.min) }
        return nil
    }

    /// The smallest value recorded, or nil when empty.
    package var minimum: Int64? {
        if negative.totalCount > 0 { return -Int64(negative.maxRecorded) }
        if positive.totalCount > 0 { return Int64(positive.min) }
        return nil
    }

    /// The quantiles ticktape reports.
    package var summary: HistogramSummary {
        HistogramSummary(
            count: Int(count),
            p50: value(atPercentile: 50), p90: value(atPercentile: 90), p99: value(atPercentile: 99),
            p999: value(atPercentile: 99.9), max: maximum, min: minimum)
    }
}
