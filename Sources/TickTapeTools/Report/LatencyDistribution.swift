import TickTape

/// The distribution of one series of a report (a connection, or the merged stream): sorted
/// samples and the quantiles a person reads off a chart.
package struct LatencyDistribution: Sendable {
    /// What the series is (`connection 0`, `merged`).
    package var label: String
    /// Samples in ascending order.
    package private(set) var sorted: [Double]

    package init(label: String, samples: [Double]) {
        self.label = label
        self.sorted = samples.sorted()
    }

    package var count: Int { sorted.count }

    /// The value at quantile `q` in 0…1 (nearest rank), or nil when empty.
    package func quantile(_ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    package var maximum: Double? { sorted.last }
    package var minimum: Double? { sorted.first }
}
