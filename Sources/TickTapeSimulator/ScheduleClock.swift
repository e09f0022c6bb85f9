import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The instant message 0 is due, on both clocks the simulator needs.
///
/// Pumps schedule against the monotonic clock; synthetic `E`/`T` fields carry wall-clock milliseconds, so the
/// wall time is captured at the same moment.
struct ScheduleClock: Sendable {
    /// `NIODeadline` uptime nanoseconds at the time base.
    var monotonicNanos: UInt64
    /// Unix time in nanoseconds at the time base.
    var wallClockNanos: Int64

    static func now() -> ScheduleClock {
        ScheduleClock(monotonicNanos: NIODeadline.now().uptimeNanoseconds, wallClockNanos: Self.unixNanos())
    }

    /// Nanoseconds elapsed since the time base, according to `deadline`.
    @inline(__always)
    func offset(of deadline: NIODeadline) -> Int64 {
        Int64(bitPattern: deadline.uptimeNanoseconds &- self.monotonicNanos)
    }

    /// The monotonic deadline `offset` nanoseconds after the time base.
    @inline(__always)
    func deadline(atOffset offset: Int64) -> NIODeadline {
        .uptimeNanoseconds(UInt64(bitPattern: Int64(bitPattern: self.monotonicNanos) &+ offset))
    }

    /// Current Unix time in nanoseconds.
    static func unixNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
