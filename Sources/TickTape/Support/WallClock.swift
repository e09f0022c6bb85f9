#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Clock readings used on the hot path.
///
/// Capture lines carry `CLOCK_REALTIME` nanoseconds because that is what hftbacktest's
/// collector writes and what researchers compare with the exchange's `E`/`T` fields.
/// Timers and staleness checks use `CLOCK_MONOTONIC`, which never jumps when NTP steps the clock.
package enum WallClock {
    /// Nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    @inlinable
    package static func realtimeNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    /// Nanoseconds on `CLOCK_MONOTONIC`: only differences are meaningful.
    @inlinable
    package static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    @inlinable
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return ns &+ attoseconds / 1_000_000_000
    }
}
