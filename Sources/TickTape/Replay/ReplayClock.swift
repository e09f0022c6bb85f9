/// When each recorded line is due, by absolute deadlines: a line stamped `s` is released at
/// `anchorWall + (s - anchorStamp) / speed` on the monotonic clock.
///
/// Why anchors and not a sleep per message: sleeping the gap between two messages adds each
/// wake-up's lateness to every later message, so an hour drifts by the sum of all of them. A
/// deadline computed from one anchor carries no error forward; a late wake-up delays only the
/// messages due before it. Pause, resume, a speed change and a seek each set a new anchor
/// (the recorded instant and the wall time it corresponds to), so the replay continues from
/// where it is without a jump.
struct ReplayClock: Sendable, Equatable {
    private(set) var speed: ReplaySpeed
    /// Recorded time (receive-stamp ns) at `anchorWall`.
    private(set) var anchorStamp: Int64
    /// Monotonic ns.
    private(set) var anchorWall: Int64

    init(speed: ReplaySpeed, stamp: Int64, wall: Int64) {
        self.speed = speed
        anchorStamp = stamp
        anchorWall = wall
    }

    /// The monotonic time `stamp` is due (now, for `max`).
    func deadline(of stamp: Int64) -> Int64 {
        switch speed {
        case .max: return anchorWall
        case .factor(let f):
            let offset = stamp - anchorStamp
            return anchorWall + (f == 1 ? offset : Int64((Double(offset) / f).rounded()))
        }
    }

    /// The recorded instant that corresponds to `wall`.
    func recordedTime(at wall: Int64) -> Int64 {
        switch speed {
        case .max: return anchorStamp
        case .factor(let f):
            let elapsed = wall - anchorWall
            return anchorStamp + (f == 1 ? elapsed : Int64((Double(elapsed) * f).rounded()))
        }
    }

    /// Continues from recorded `stamp` at `wall`.
    mutating func reanchor(stamp: Int64, wall: Int64) {
        anchorStamp = stamp
        anchorWall = wall
    }

    /// A new speed from `wall` on, continuing from the recorded instant reached then (or from
    /// `next`, the next line's stamp, when that is later: after `max` the recorded instant is
    /// wherever the reader got to).
    mutating func change(speed: ReplaySpeed, wall: Int64, next: Int64?) {
        var reached = recordedTime(at: wall)
        if case .max = self.speed, let next { reached = next }
        self.speed = speed
        reanchor(stamp: reached, wall: wall)
    }
}
