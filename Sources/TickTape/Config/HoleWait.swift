/// `hole_wait`: how long a copy may trail the first arrival and still take its place in the
/// capture.
///
/// It bounds two things. On a continuity stream (trade, aggTrade, diff depth) a copy that
/// leaves a hole makes its successors wait up to this long for another connection to deliver
/// the missing ids; only then is the hole a ledger gap. On every id-ordered stream a late copy
/// (the faster connections skipped it) is placed in id order while its neighbours are still in
/// memory, and the merger keeps the newest lines four times this long (at least 20 ms) before
/// handing them to the writer.
package enum HoleWait: Sendable, Equatable {
    /// Derived from the measured lag of the connections behind the first arrival (the largest
    /// of the last five seconds × 1.5 + 1 ms), clamped to ``autoRange``.
    case auto
    /// A fixed bound; zero waits for nothing and places nothing.
    case fixed(Duration)

    /// The range `auto` stays in. The floor covers scheduling noise; the ceiling keeps a hole
    /// on a continuity stream from delaying its live output by more than 50 ms.
    package static let autoRange = Duration.milliseconds(1)...Duration.milliseconds(50)
    /// What `auto` uses before it has measured anything.
    package static let autoInitial = Duration.milliseconds(20)
    /// The range a fixed `hole_wait` may take.
    package static let fixedRange = Duration.zero...Duration.seconds(1)
}
