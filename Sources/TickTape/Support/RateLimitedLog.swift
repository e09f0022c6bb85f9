import Logging

/// A throttle for one repeating log line: at most one line per `interval`, the calls held back
/// counted and reported (`suppressed=<n>`) by the next line that gets through.
///
/// Why a type: a failing disk or a misbehaving peer repeats the same error thousands of times a
/// second, and each call site used to hand-roll the same "last logged at" arithmetic. It is a
/// value owned by one thread (the writer, the sealer, a session's loop), so it needs no lock;
/// wrap it in a `Mutex` where several threads share one line. The clock is a parameter so tests
/// can drive it.
package struct RateLimitedLog: Sendable {
    /// Least time between two lines, ns.
    package let intervalNanos: Int64
    private var lastAt: Int64?
    private var held = 0

    package init(every interval: Duration) {
        self.intervalNanos = interval.nanoseconds
    }

    /// Whether a line may go out at `now` (monotonic ns); if so, how many were held back since
    /// the previous one, else nil (and this call is counted as held back).
    package mutating func admit(now: Int64 = WallClock.monotonicNanos()) -> Int? {
        if let lastAt, now - lastAt < intervalNanos {
            held += 1
            return nil
        }
        lastAt = now
        defer { held = 0 }
        return held
    }

    /// Logs `message` at `level` if admitted, adding `suppressed` when lines were held back.
    package mutating func log(
        _ logger: Logger, _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata = [:], now: Int64 = WallClock.monotonicNanos()
    ) {
        guard let suppressed = admit(now: now) else { return }
        var m = metadata()
        if suppressed > 0 { m["suppressed"] = "\(suppressed)" }
        logger.log(level: level, message(), metadata: m)
    }

    /// The same for a ``DeferredLogger`` (threads that must not block on the journal).
    mutating func log(
        _ logger: DeferredLogger, _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata = [:], now: Int64 = WallClock.monotonicNanos()
    ) {
        guard let suppressed = admit(now: now) else { return }
        var m = metadata()
        if suppressed > 0 { m["suppressed"] = "\(suppressed)" }
        logger.log(level, message(), metadata: m)
    }
}
