import Logging

/// What the journal hears about one capture's telemetry: a summary every `log_interval`
/// (default a minute) and a line whenever the set of connections that are up changes.
///
/// Why not every window: the per-second figures belong in `/metrics`, where they cost nothing
/// to keep; one line per connection per second (430 000 a day for a capture that cannot even
/// reach Binance) buried everything else in the journal. The summary lines keep `capture` and
/// `connection` as metadata, so journald gets `TICKTAPE_CAPTURE` / `TICKTAPE_CONNECTION` and
/// `journalctl TICKTAPE_CONNECTION=2` still shows one connection's history. Counts are over
/// the period; latency and lag quantiles are those of the period's last window. At stop the
/// unfinished period is summarised too, so a short run is not silent.
///
/// Owned by the reporter thread; the clock is a parameter, so tests drive it.
struct TelemetrySummaryLog {
    let intervalNanos: Int64
    /// `log_summaries`: false keeps only the change lines.
    let summaries: Bool
    private var periodStartedAt: Int64?
    private var connected: [Int: Bool] = [:]
    private var period = Period()
    /// The period's last snapshot, for the summary written at stop.
    private var last: CaptureTelemetrySnapshot?

    /// Sums over the current period.
    private struct Period {
        var seconds: Double = 0
        var messages = 0
        var connections: [Int: ConnectionSums] = [:]
    }

    private struct ConnectionSums {
        var messages = 0
        var wins = 0
        var duplicates = 0
        var lateCopies = 0
        var ringOverflows = 0
        var ringDepthMax = 0
    }

    init(interval: Duration, summaries: Bool) {
        self.intervalNanos = max(interval.nanoseconds, 1)
        self.summaries = summaries
    }

    /// Takes one window's snapshot at `now` (monotonic ns): logs a change line if
    /// connections went up or down, and the summary when the period is over.
    mutating func observe(_ s: CaptureTelemetrySnapshot, now: Int64, to logger: Logger) {
        logChanges(s, to: logger)
        // The first period starts where its first window started.
        let start = periodStartedAt ?? now - Int64(s.windowSeconds * 1e9)
        periodStartedAt = start
        period.seconds += s.windowSeconds
        period.messages += s.messages
        for c in s.connections {
            var sums = period.connections[c.connection] ?? ConnectionSums()
            sums.messages += c.messages
            sums.wins += c.wins
            sums.duplicates += c.duplicates
            sums.lateCopies += c.lateCopies
            sums.ringOverflows += c.ringOverflows
            sums.ringDepthMax = max(sums.ringDepthMax, c.ringDepthMax)
            period.connections[c.connection] = sums
        }
        last = s
        guard now - start >= intervalNanos else { return }
        if summaries { write(s, to: logger) }
        period = Period()
        last = nil
        periodStartedAt = now
    }

    /// At stop: the summary of the unfinished period, so a short run is not silent.
    mutating func finish(to logger: Logger) {
        guard summaries, let s = last else { return }
        write(s, to: logger)
        period = Period()
        last = nil
    }

    private mutating func logChanges(_ s: CaptureTelemetrySnapshot, to logger: Logger) {
        var wentUp: [Int] = []
        var wentDown: [Int] = []
        for c in s.connections {
            let was = connected[c.connection]
            if was != c.connected {
                // First sight of a connection that is down is no change: it never was up.
                if c.connected { wentUp.append(c.connection) } else if was == true { wentDown.append(c.connection) }
            }
            connected[c.connection] = c.connected
        }
        guard !wentUp.isEmpty || !wentDown.isEmpty else { return }
        let up = s.connections.filter(\.connected).count
        var m: Logger.Metadata = ["capture": "\(s.capture)", "up": "\(up)/\(s.connections.count)"]
        if !wentUp.isEmpty { m["went_up"] = "\(wentUp.map(String.init).joined(separator: ","))" }
        if !wentDown.isEmpty { m["went_down"] = "\(wentDown.map(String.init).joined(separator: ","))" }
        if wentDown.isEmpty {
            logger.info("telemetry: connections changed", metadata: m)
        } else {
            logger.notice("telemetry: connections changed", metadata: m)
        }
    }

    private func write(_ s: CaptureTelemetrySnapshot, to logger: Logger) {
        let seconds = max(period.seconds, 1e-9)
        var merged: Logger.Metadata = [
            "capture": "\(s.capture)", "connection": "merged",
            "period_s": "\(Self.format(period.seconds))", "msgs": "\(period.messages)",
            "msg_per_s": "\(Int((Double(period.messages) / seconds).rounded()))",
            "up": "\(s.connections.filter(\.connected).count)/\(s.connections.count)",
            "alarms": "\(s.alarms.count)",
        ]
        Self.add(s.mergedEvent.window, prefix: "lat_e", unit: "us", to: &merged)
        Self.add(s.mergedTransaction.window, prefix: "lat_t", unit: "us", to: &merged)
        logger.info("telemetry", metadata: merged)
        for c in s.connections {
            let sums = period.connections[c.connection] ?? ConnectionSums()
            var m: Logger.Metadata = [
                "capture": "\(s.capture)", "connection": "\(c.connection)",
                "up": "\(c.connected)", "uptime_s": "\(Int(c.uptimeSeconds))",
                "msgs": "\(sums.messages)", "wins": "\(sums.wins)",
                "win_share": "\(period.messages > 0 ? Self.format(Double(sums.wins) / Double(period.messages)) : "-")",
                "dups": "\(sums.duplicates)", "late": "\(sums.lateCopies)", "ring_overflows": "\(sums.ringOverflows)",
                "ring_depth_max": "\(sums.ringDepthMax)",
                "reconnects": "\(c.reconnects)", "stale": "\(c.totals.staleEvents)",
                "ping_rtt_us": "\(c.pingRoundTripNanos.map { String($0 / 1_000) } ?? "-")",
            ]
            Self.add(c.latencyEvent.window, prefix: "lat_e", unit: "us", to: &m)
            Self.add(c.latencyTransaction.window, prefix: "lat_t", unit: "us", to: &m)
            Self.add(c.lag.window, prefix: "lag", unit: "ns", to: &m)
            logger.info("telemetry", metadata: m)
        }
    }

    private static func add(_ h: HistogramSummary, prefix: String, unit: String, to m: inout Logger.Metadata) {
        guard h.count > 0 else { return }
        m["\(prefix)_n"] = "\(h.count)"
        for (name, value) in [("p50", h.p50), ("p90", h.p90), ("p99", h.p99), ("p999", h.p999), ("max", h.max)] {
            if let value { m["\(prefix)_\(name)_\(unit)"] = "\(value)" }
        }
    }

    private static func format(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
