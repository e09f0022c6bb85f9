/// The reporter-side state of one capture: cumulative histograms, the counters at the end of
/// the previous window (to turn totals into per-window figures) and the alarm state.
///
/// Touched only by the reporter thread, so summarising, merging into the cumulative
/// histograms and computing quantiles (the expensive part, a few hundred µs per capture) never
/// runs on the merger.
///
/// `@unchecked Sendable`: touched by the reporter thread only.
final class TelemetryAccumulator: @unchecked Sendable {
    let name: String
    let ringCapacity: Int
    private var mergedEvent = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    private var mergedTransaction = SignedHistogram(limit: TelemetryLimits.latencyMicros)
    private var connections: [ConnectionFigures] = []
    private var previous: [ConnectionStatistics.Snapshot?] = []
    /// When each slot's current connection was first seen up (`CLOCK_REALTIME` ns).
    private var upSince: [Int64?] = []
    private var previousEmitted = 0
    private var windows = 0
    private(set) var alarms = AlarmTracker()
    /// What the journal gets, at `log_interval` and on changes (set at registration).
    var summaryLog = TelemetrySummaryLog(interval: .seconds(60), summaries: true)

    init(name: String, ringCapacity: Int) {
        self.name = name
        self.ringCapacity = ringCapacity
    }

    /// Folds a closed window into the cumulative state and describes it.
    func absorb(
        _ w: TelemetryWindow, config: TelemetryConfig, wallNow: Int64
    ) -> (snapshot: CaptureTelemetrySnapshot, raised: [TelemetryAlarm], cleared: [TelemetryAlarm]) {
        windows += 1
        let merged = w.merged.pointee
        mergedEvent.add(merged.event)
        mergedTransaction.add(merged.transaction)
        while connections.count < w.count {
            connections.append(ConnectionFigures())
            previous.append(nil)
            upSince.append(nil)
        }
        let seconds = Double(max(w.endedAt - w.startedAt, 1)) / 1e9
        let emitted = w.emittedTotal - previousEmitted
        previousEmitted = w.emittedTotal
        var winsTotal = 0
        for c in w.counters { winsTotal += c?.wins ?? 0 }
        var list: [ConnectionTelemetrySnapshot] = []
        for k in 0..<w.count {
            let c = w.slots[k]
            guard let totals = w.counters[k] else {
                previous[k] = nil
                upSince[k] = nil
                continue
            }
            // Uptime from what the windows saw: a connection that came up (or reconnected)
            // during a window counts from that window's start, so it is exact to one interval.
            if !totals.connected {
                upSince[k] = nil
            } else if upSince[k] == nil || totals.connects != previous[k]?.connects {
                upSince[k] = wallNow - (w.endedAt - w.startedAt)
            }
            connections[k].add(c)
            let cumulative = connections[k]
            // A new statistics object (the connection was re-added) starts from zero.
            let before = previous[k].flatMap { $0.wins <= totals.wins && $0.framesReceived <= totals.framesReceived ? $0 : nil }
            previous[k] = totals
            let wins = totals.wins - (before?.wins ?? 0)
            list.append(
                ConnectionTelemetrySnapshot(
                    connection: k,
                    connected: totals.connected,
                    uptimeSeconds: upSince[k].map { max(0, Double(wallNow - $0) / 1e9) } ?? 0,
                    messages: totals.framesReceived - (before?.framesReceived ?? 0),
                    wins: wins,
                    duplicates: totals.duplicates - (before?.duplicates ?? 0),
                    lateCopies: totals.lateCopies - (before?.lateCopies ?? 0),
                    ringOverflows: totals.ringDrops - (before?.ringDrops ?? 0),
                    winShare: emitted > 0 ? Double(wins) / Double(emitted) : nil,
                    winShareTotal: winsTotal > 0 ? Double(totals.wins) / Double(winsTotal) : nil,
                    totals: totals,
                    ringDepth: w.rings[k]?.count ?? 0,
                    ringDepthMax: c.ringDepthMax,
                    ringCapacity: ringCapacity,
                    pingRoundTripNanos: totals.pongs > 0 ? totals.pingRoundTripNanos : nil,
                    latencyEvent: FigureSummary(window: c.latencyEvent.summary, cumulative: cumulative.latencyEvent.summary),
                    latencyTransaction: FigureSummary(
                        window: c.latencyTransaction.summary, cumulative: cumulative.latencyTransaction.summary),
                    lag: FigureSummary(window: c.lag.summary, cumulative: cumulative.lag.summary)))
        }
        var snapshot = CaptureTelemetrySnapshot(
            capture: name, windows: windows, windowSeconds: seconds, windowEndedAt: w.endedAtWall,
            messages: emitted, messagesPerSecond: Double(emitted) / seconds,
            emittedTotal: w.emittedTotal, lateMessagesTotal: w.lateMessagesTotal, gapsTotal: w.gapsTotal,
            mergedEvent: FigureSummary(window: merged.event.summary, cumulative: mergedEvent.summary),
            mergedTransaction: FigureSummary(window: merged.transaction.summary, cumulative: mergedTransaction.summary),
            connections: list, alarms: [])
        let (raised, cleared) = alarms.evaluate(snapshot, config: config)
        snapshot.alarms = alarms.standing
        snapshot.silentStreams = w.silentStreams
        snapshot.merge = w.merge
        snapshot.storageDropsTotal = w.storageDropsTotal
        return (snapshot, raised, cleared)
    }
}
