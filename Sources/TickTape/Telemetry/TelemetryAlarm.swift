/// A condition an operator should look at, raised by ``AlarmTracker`` after a window and
/// cleared when the condition is gone.
package struct TelemetryAlarm: Sendable, Hashable {
    package enum Kind: String, Sendable, CaseIterable {
        /// The merged stream's p99 latency against `E` stayed over `alarm_latency_p99`.
        case mergedLatency = "merged_latency_p99"
        /// A delivering connection won no race for `alarm_zero_wins_after`.
        case zeroWinShare = "zero_win_share"
        /// A connection's p99 lag behind the first arrival stayed over `alarm_lag_p99`: rotate it.
        case lagging = "lag_p99"
        /// A connection's ring reached `alarm_ring_percent` of its capacity.
        case ringNearFull = "ring_depth"
    }

    package var kind: Kind
    /// The connection concerned, or nil for the merged stream.
    package var connection: Int?
    /// What was seen, for the log.
    package var detail: String

    package init(kind: Kind, connection: Int?, detail: String) {
        self.kind = kind
        self.connection = connection
        self.detail = detail
    }

    /// Identity of the condition (the detail changes from window to window).
    package var key: String { "\(kind.rawValue)/\(connection.map(String.init) ?? "merged")" }
}
