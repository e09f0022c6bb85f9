/// One entry of a capture's gap ledger: ids the exchange's sequence rules prove were never received.
public struct GapRecord: Sendable, Equatable {
    /// Stream the gap belongs to.
    public var stream: String
    /// First and last missing id.
    public var firstMissing: Int64
    public var lastMissing: Int64
    /// When the gap was detected (`CLOCK_REALTIME` ns).
    public var detectedAt: Int64
    /// Why: `sequence` (the rule saw a jump), later also `disconnect` and `storage`.
    public var cause: String
    /// Connections delivering at that moment.
    public var connectionsUp: Int

    /// One JSON line, as written to `gaps.jsonl`.
    public var jsonLine: String {
        "{\"stream\":\"\(stream)\",\"first_missing\":\(firstMissing),\"last_missing\":\(lastMissing),"
            + "\"detected_at_ns\":\(detectedAt),\"cause\":\"\(cause)\",\"connections_up\":\(connectionsUp)}\n"
    }
}
