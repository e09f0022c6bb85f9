/// One diff-depth event of the synthetic schedule: which stream, when it is due, and what it says.
struct DepthMessage: Sendable {
    /// Nanoseconds after the schedule's time base (`E`).
    var dueOffset: Int64
    /// Index into the feed's stream names.
    var stream: Int
    /// Index into the feed's symbols.
    var symbol: Int
    /// `U`, `u`, `pu`.
    var firstID: UInt64
    var lastID: UInt64
    var previousID: UInt64
    /// Offset of the last book update the event covers (`T` on USD-M).
    var lastUpdateOffset: Int64
    /// The final quantity of every level the covered updates set.
    var bids: [BookLevel]
    var asks: [BookLevel]
}
