import Foundation

/// Turns a ``ConnectionProfile`` into per-message decisions, each a pure function of the message index.
///
/// Drops and delays for connection `k` come from their own lanes of ``DeterministicRandom`` keyed by
/// `(seed, k)`, so a run is reproducible and two connections' impairments are independent.
struct DelaySampler {
    private let distribution: DelayDistribution
    private let dropProbability: Double
    private let seed: UInt64
    private let dropLane: UInt64
    private let delayLane: UInt64

    init(profile: ConnectionProfile, seed: UInt64, connectionIndex: Int) {
        self.distribution = profile.delay
        self.dropProbability = profile.dropProbability
        self.seed = seed
        let lane = UInt64(bitPattern: Int64(connectionIndex)) &* 4
        self.dropLane = 1_000_000 &+ lane
        self.delayLane = 1_000_001 &+ lane
    }

    /// Whether message `index` is skipped on this connection.
    @inline(__always)
    func drops(_ index: Int) -> Bool {
        guard self.dropProbability > 0 else { return false }
        return DeterministicRandom.unit(seed: self.seed, lane: self.dropLane, index: UInt64(index))
            < self.dropProbability
    }

    /// Extra latency of message `index`, in nanoseconds.
    @inline(__always)
    func delayNanos(_ index: Int) -> Int64 {
        switch self.distribution {
        case .none:
            return 0
        case .constant(let delay):
            return Self.nanos(delay)
        case .uniform(let low, let high):
            let lower = Self.nanos(low)
            let upper = Self.nanos(high)
            let unit = DeterministicRandom.unit(seed: self.seed, lane: self.delayLane, index: UInt64(index))
            return lower + Int64(Double(upper - lower) * unit)
        case .exponential(let base, let mean):
            let unit = DeterministicRandom.unit(seed: self.seed, lane: self.delayLane, index: UInt64(index))
            return Self.nanos(base) + Int64(-log1p(-unit) * Double(Self.nanos(mean)))
        }
    }

    @inline(__always)
    static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
