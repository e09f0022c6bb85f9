/// Where the simulator's global message sequence comes from.
package enum MessageSource: Sendable {
    /// Generated `bookTicker` messages at a fixed rate, for load and latency tests.
    case synthetic(SyntheticBookTicker)
    /// Generated diff-depth events of synthetic order books (USD-M or spot rules), with REST snapshots
    /// consistent with them, for order-book tests.
    case syntheticDepth(SyntheticDepthBook)
    /// A recorded session in hftbacktest format (`<local_recv_ns> <combined frame>` per line, gzip or plain
    /// text), replayed with the given pacing, for tests that need real payloads.
    case recording(path: String, pace: Pace)
}
