/// How the merger thread waits when every ring is empty.
package enum MergerIdleStrategy: String, Sendable, Equatable, CaseIterable {
    /// Busy-poll: lowest latency, burns a whole core; only sensible with `merger_cpu` pinned.
    case spin
    /// Spin briefly, yield a few times, then nap 50 µs at a time: near-spin throughput under load,
    /// little CPU when the market is quiet.
    case backoff
}
