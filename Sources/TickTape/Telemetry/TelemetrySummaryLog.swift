import Logging

/// The structured summary lines written every window: one per connection and one for the
/// merged stream, with `capture` and `connection` as metadata so journald gets
/// `TICKTAPE_CAPTURE` / `TICKTAPE_CONNECTION` and `journalctl TICKTAPE_CONNECTION=2` shows
/// one connection's history.
enum TelemetrySummaryLog {
    static func write(_ s: CaptureTelemetrySnapshot, to logger: Logger) {
        var merged: Logger.Metadata = [
            "capture": "\(s.capture)", "connection": "merged",
            "window_s": "\(format(s.windowSeconds))", "msgs": "\(s.messages)",
            "msg_per_s": "\(Int(s.messagesPerSecond.rounded()))",
        ]
        add(s.mergedEvent.window, prefix: "lat_e", unit: "us", to: &merged)
        add(s.mergedTransaction.window, prefix: "lat_t", unit: "us", to: &merged)
        logger.info("telemetry", metadata: merged)
        for c in s.connections {
            var m: Logger.Metadata = [
                "capture": "\(s.capture)", "connection": "\(c.connection)",
                "up": "\(c.connected)", "uptime_s": "\(Int(c.uptimeSeconds))",
                "msgs": "\(c.messages)", "wins": "\(c.wins)", "win_share": "\(c.winShare.map(format) ?? "-")",
                "dups": "\(c.duplicates)", "late": "\(c.lateCopies)", "ring_overflows": "\(c.ringOverflows)",
                "ring_depth": "\(c.ringDepth)", "ring_depth_max": "\(c.ringDepthMax)",
                "reconnects": "\(c.reconnects)", "stale": "\(c.totals.staleEvents)",
                "ping_rtt_us": "\(c.pingRoundTripNanos.map { String($0 / 1_000) } ?? "-")",
            ]
            add(c.latencyEvent.window, prefix: "lat_e", unit: "us", to: &m)
            add(c.latencyTransaction.window, prefix: "lat_t", unit: "us", to: &m)
            add(c.lag.window, prefix: "lag", unit: "ns", to: &m)
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
