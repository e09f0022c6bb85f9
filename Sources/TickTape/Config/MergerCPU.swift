/// Where the merger thread runs.
package enum MergerCPU: Sendable, Equatable {
    /// Pin to a CPU that no event loop uses, if there is one; otherwise leave unpinned.
    case auto
    /// Never pin ("none" in the file): for shared machines and containers.
    case unpinned
    /// Pin to this CPU (0-based).
    case cpu(Int)
}
