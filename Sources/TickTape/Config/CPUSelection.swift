/// Which CPUs the networking event loops run on.
package enum CPUSelection: Sendable, Equatable {
    /// One event loop per available CPU, left to the scheduler.
    case auto
    /// One event loop pinned to each listed CPU (0-based, as in `taskset`/`lscpu`), so the
    /// connections of a capture do not share a core with the merger.
    case cpus([Int])
}
