/// When written capture data is forced to stable storage.
///
/// Capture files are append-only; what fsync buys is the bound on how much a power loss
/// (not a crash of the daemon, which the page cache survives) can take away.
package enum FsyncPolicy: Sendable, Equatable {
    /// After every flush: at most `flush_interval` of data at risk, at a cost in disk latency.
    case always
    /// Leave it to the kernel (typically up to 30 s at risk).
    case never
    /// At most once per interval, when there is something new.
    case interval(Duration)
}
