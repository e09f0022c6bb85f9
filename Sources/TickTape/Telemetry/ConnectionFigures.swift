/// One interval's histograms of one connection slot.
///
/// A plain struct kept in a ``TelemetryWindow``'s preallocated buffer, so the merger records
/// into it through a pointer: no reference counting and no runtime exclusivity check per
/// message (both measured at tens of ns when these were class properties).
struct ConnectionFigures {
    /// Arrival minus `E`, µs (signed: the host clock may be behind the exchange's).
    var latencyEvent = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// Arrival minus `T`, µs, for streams that carry a transaction time.
    var latencyTransaction = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// For each copy that lost the race: its receive stamp minus the winner's, ns.
    var lag = SignedHistogram(limit: TelemetryLimits.lagNanos)
    /// Deepest ring seen by the merger's polls during the window.
    var ringDepthMax = 0

    mutating func reset() {
        latencyEvent.reset()
        latencyTransaction.reset()
        lag.reset()
        ringDepthMax = 0
    }

    mutating func add(_ other: ConnectionFigures) {
        latencyEvent.add(other.latencyEvent)
        latencyTransaction.add(other.latencyTransaction)
        lag.add(other.lag)
    }
}

/// The merged stream's histograms of one interval.
struct MergedFigures {
    /// Winning copies: arrival minus `E`, µs.
    var event = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    /// Winning copies: arrival minus `T`, µs.
    var transaction = SignedHistogram(limit: TelemetryLimits.latencyMicros)

    mutating func reset() {
        event.reset()
        transaction.reset()
    }
}

/// Ranges of the histograms: beyond them values are recorded at the limit and counted.
enum TelemetryLimits {
    /// ±60 s in µs: a clock off by more is broken, not skewed.
    static let latencyMicros: UInt64 = 60_000_000
    /// ±60 s in ns.
    static let lagNanos: UInt64 = 60_000_000_000
}
