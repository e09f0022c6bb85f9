/// Network impairments applied to one client connection index, so racing connections can differ.
///
/// Each data message is dropped with ``dropProbability``; a message that survives is sent at
/// `due + delay`, but never before the previous message of the same connection (TCP keeps order).
package struct ConnectionProfile: Sendable {
    /// Extra latency added to every message of this connection.
    package var delay: DelayDistribution = .none
    /// Probability in `0...1` that a message is silently skipped for this connection.
    package var dropProbability: Double = 0

    /// Creates a profile; the defaults mean "no delay, no drops".
    package init(delay: DelayDistribution = .none, dropProbability: Double = 0) {
        self.delay = delay
        self.dropProbability = dropProbability
    }
}
