/// What the merger does with a message that arrives after the capture has already moved
/// past its sequence position (a slow connection delivering an update the others delivered).
public enum LatePolicy: String, Sendable, Equatable, CaseIterable {
    /// Discard it: the capture file stays strictly ordered and duplicate-free.
    case drop
    /// Write it anyway, marked late: nothing received is lost, at the cost of order.
    case emit
}
