/// A copy of a continuity stream held back because it follows a hole: it waits, bounded by
/// `hole_wait`, for another connection to deliver the missing ids.
///
/// Keeps the frame itself (NIO's buffer slice, no copy) and the ids the stream's rule needs to
/// tell whether it continues the last emitted message.
struct HeldCopy {
    var frame: InboundFrame
    var id: Int64
    /// `U` (first update id of a depth diff) and `pu` (previous final update id, USD-M).
    var firstUpdateID: Int64?
    var previousUpdateID: Int64?
    /// The connection that delivered it: credited with the win when it is released.
    var connection: ConnectionStatistics
    /// Monotonic ns when it was held.
    var heldAt: Int64
}
