/// Decides, window by window, which ``TelemetryAlarm``s stand for one capture.
///
/// Latency and lag alarms need `alarm_windows` bad windows in a row, so one burst does not
/// page anyone; the zero-win alarm needs `alarm_zero_wins_after` of delivering without ever
/// winning; the ring alarm is immediate, because a full ring is already dropping copies.
struct AlarmTracker {
    private var streaks: [String: Int] = [:]
    private var zeroWinSeconds: [Int: Double] = [:]
    private(set) var active: [String: TelemetryAlarm] = [:]

    /// Updates the state with one window; returns what was raised and what cleared.
    mutating func evaluate(
        _ s: CaptureTelemetrySnapshot, config: TelemetryConfig
    ) -> (raised: [TelemetryAlarm], cleared: [TelemetryAlarm]) {
        var standing: [TelemetryAlarm] = []
        let latencyLimit = config.alarmLatencyP99.nanoseconds / 1_000
        if let p99 = s.mergedEvent.window.p99, bump("merged", p99 > latencyLimit) >= config.alarmWindows {
            standing.append(
                TelemetryAlarm(
                    kind: .mergedLatency, connection: nil,
                    detail: "merged p99 latency \(p99) µs > \(latencyLimit) µs for \(streaks["merged"] ?? 0) windows"))
        } else if s.mergedEvent.window.p99 == nil {
            streaks["merged"] = 0
        }
        let lagLimit = config.alarmLagP99.nanoseconds
        let zeroLimit = Double(config.alarmZeroWinsAfter.nanoseconds) / 1e9
        for c in s.connections {
            let k = c.connection
            if let p99 = c.lag.window.p99, bump("lag/\(k)", p99 > lagLimit) >= config.alarmWindows {
                standing.append(
                    TelemetryAlarm(
                        kind: .lagging, connection: k,
                        detail: "lag p99 \(p99 / 1_000) µs behind the first arrival > \(lagLimit / 1_000) µs for \(streaks["lag/\(k)"] ?? 0) windows; candidate for rotation"))
            } else if c.lag.window.p99 == nil {
                streaks["lag/\(k)"] = 0
            }
            if c.connected, c.messages > 0, c.wins == 0, s.messages > 0 {
                zeroWinSeconds[k, default: 0] += s.windowSeconds
            } else {
                zeroWinSeconds[k] = 0
            }
            if let seconds = zeroWinSeconds[k], seconds >= zeroLimit {
                standing.append(
                    TelemetryAlarm(
                        kind: .zeroWinShare, connection: k,
                        detail: "delivering but won no race for \(Int(seconds)) s"))
            }
            if c.ringCapacity > 0, c.ringDepthMax * 100 >= config.alarmRingPercent * c.ringCapacity {
                standing.append(
                    TelemetryAlarm(
                        kind: .ringNearFull, connection: k,
                        detail: "ring reached \(c.ringDepthMax)/\(c.ringCapacity) frames; the merger is falling behind"))
            }
        }
        var now: [String: TelemetryAlarm] = [:]
        for alarm in standing { now[alarm.key] = alarm }
        let raised = standing.filter { active[$0.key] == nil }
        let cleared = active.values.filter { now[$0.key] == nil }.sorted { $0.key < $1.key }
        active = now
        return (raised, cleared)
    }

    /// Extends or breaks the run of bad windows for `key`; returns its length.
    private mutating func bump(_ key: String, _ bad: Bool) -> Int {
        let n = bad ? (streaks[key] ?? 0) + 1 : 0
        streaks[key] = n
        return n
    }

    /// Alarms standing, in a stable order.
    var standing: [TelemetryAlarm] { active.values.sorted { $0.key < $1.key } }
}
