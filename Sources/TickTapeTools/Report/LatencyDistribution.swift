import TickTape

/// The distribution of one series of a report (a connection, or the merged stream): sorted
/// samples and the quantiles a person reads off a chart.
public struct LatencyDistribution: Sendable {
    /// What the series is (`connection 0`, `merged`).
    public var label: String
    /// Samples in ascending order.
    public private(set) var sorted: [Double]

    public init(label: String, samples: [Double]) {
        self.label = label
        self.sorted = samples.sorted()
    }

    public var count: Int { sorted.count }

    /// The value at quantile `q` in 0…1 (nearest rank), or nil when empty.
    public func quantile(_ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    public var maximum: Double? { sorted.last }
    public var minimum: Double? { sorted.first }
}
