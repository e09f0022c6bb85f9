/// The figures ticktape reports for every histogram: p50, p90, p99, p99.9, max (and min, for
/// signed figures), in the histogram's unit. Quantiles are nil when nothing was recorded.
package struct HistogramSummary: Sendable, Equatable {
    package var count: Int
    package var p50: Int64?
    package var p90: Int64?
    package var p99: Int64?
    package var p999: Int64?
    package var max: Int64?
    package var min: Int64?

    package init(
        count: Int = 0, p50: Int64? = nil, p90: Int64? = nil, p99: Int64? = nil, p999: Int64? = nil,
        max: Int64? = nil, min: Int64? = nil
    ) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.min = min
    }

    /// The quantiles by Prometheus `quantile` label, in exposition order.
    package var quantiles: [(label: String, value: Int64?)] {
        [("0.5", p50), ("0.9", p90), ("0.99", p99), ("0.999", p999)]
    }
}
