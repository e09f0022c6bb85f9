/// How fast a recording is replayed relative to the time it was captured in.
package enum Pace: Sendable, Equatable {
    /// Keep the recorded gaps between messages.
    case original
    /// Divide the recorded gaps by the factor (`scaled(10)` replays ten times faster).
    case scaled(Double)
    /// Ignore the timestamps: send in order, as fast as each connection's TCP window allows.
    case asFastAsPossible
}
