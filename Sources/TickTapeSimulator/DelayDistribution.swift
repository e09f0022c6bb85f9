/// Distribution of the extra latency a ``ConnectionProfile`` adds to each message.
package enum DelayDistribution: Sendable, Equatable {
    /// No extra latency.
    case none
    /// The same latency for every message.
    case constant(Duration)
    /// Latency drawn uniformly from the closed range between the two bounds.
    case uniform(Duration, Duration)
    /// `base` plus an exponentially distributed tail with the given mean: a fixed path cost with
    /// occasional long stalls, the shape real WAN latency has.
    case exponential(base: Duration, mean: Duration)
}
