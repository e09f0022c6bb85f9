import Prometheus
import Synchronization

/// Turns telemetry snapshots into Prometheus series and renders the text exposition.
///
/// Uses swift-prometheus's registry directly (no global `MetricsSystem` bootstrap, so several
/// engines, as in tests, never collide). Values come from the last closed window, so a scrape
/// costs no work on the merger. Quantiles are gauges with a `quantile` label and a `window`
/// label: `interval` (the last window) or `cumulative` (since the capture started); connection
/// `merged` is the merged stream. An empty window exports NaN: no data is not zero latency.
final class PrometheusExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let state = Mutex<State>(State())

    private struct State {
        /// Every series made, by capture, so a removed capture's series can be dropped.
        var gauges: [String: [String: Gauge]] = [:]
        var counters: [String: [String: (Counter, Int)]] = [:]
    }

    private static let clockCapture = "(clock)"

    /// Renders the exposition for `snapshots`, each capture's storage health (read at the
    /// scrape: a few atomic loads) and the host clock's state.
    func render(
        snapshots: [CaptureTelemetrySnapshot], storage: [String: StorageHealth.Snapshot] = [:], clock: ClockSyncState,
        books: BookService.Figures? = nil, sinks: [SinkStatistics] = []
    ) -> [UInt8] {
        if let books { export(books: books) }
        for sink in sinks { export(sink: sink) }
        gauge(
            Self.clockCapture, "clock_synchronized", "", [],
            "1 if the kernel considers the host clock synchronised (adjtimex), 0 if not, NaN if unknown; latency against E is only as good as this",
            clock.synced.map { $0 ? 1 : 0 } ?? .nan)
        gauge(
            Self.clockCapture, "clock_estimated_error", "seconds", [], "the kernel's estimated error of the host clock",
            clock.estimatedErrorMicros.map { Double($0) / 1e6 } ?? .nan)
        gauge(
            Self.clockCapture, "clock_max_error", "seconds", [], "the kernel's maximum error bound for the host clock",
            clock.maximumErrorMicros.map { Double($0) / 1e6 } ?? .nan)
        for source in ["adjtimex", "timesyncd", "unavailable"] {
            gauge(
                Self.clockCapture, "clock_state_source", "", [("source", source)],
                "1 for where the clock state came from (adjtimex is refused under systemd ProtectClock=yes)",
                clock.source == source ? 1 : 0)
        }
        counter(
            Self.clockCapture, "thread_pin_failures", [],
            "threads the kernel refused to pin to their planned CPU (they run unpinned)",
            CPUAffinity.pinFailures.load(ordering: .relaxed))
        for s in snapshots { export(s) }
        for (capture, health) in storage.sorted(by: { $0.key < $1.key }) { export(storage: health, capture: capture) }
        return registry.emitToBuffer()
    }

    /// The book thread's totals (all captures).
    private func export(books b: BookService.Figures) {
        let group = "(books)"
        counter(group, "books_diffs_applied", [], "depth diffs applied to synced books", b.applied)
        counter(group, "books_snapshots_applied", [], "REST snapshots a book was (re)built from", b.snapshotsApplied)
        counter(group, "books_resyncs", [], "resyncs of a synced book (real chain breaks, crossed books, lost records); each is a ledger entry", b.resyncs)
        counter(group, "books_crossed", [], "books found crossed after a diff (best bid >= best ask), resynced, never published", b.crossed)
        counter(group, "books_records_lost", [], "merged-stream records the book thread's ring had no room for", b.lostRecords)
        counter(group, "books_snapshot_lines", [], "snapshot and checkpoint lines recorded in the captures", b.snapshotLines)
        counter(group, "bars_closed", [], "OHLC bars closed and written to bars.csv", b.barsClosed)
        counter(group, "books_ticker_disagreements", [], "books that disagreed with their bookTicker at the same update id (resynced)", b.tickerDisagreements)
    }

    /// One sink's figures for one capture (``SinkStatistics``).
    private func export(sink s: SinkStatistics) {
        let group = "(sink \(s.sink))"
        let labels = [("sink", s.sink), ("capture", s.capture)]
        counter(group, "sink_rows", labels, "rows the sink's target confirmed", s.rowsWritten.load(ordering: .relaxed))
        counter(group, "sink_lines", labels, "capture lines the sink consumed (confirmed)", s.linesConsumed.load(ordering: .relaxed))
        counter(group, "sink_batches", labels, "batches written", s.batchesWritten.load(ordering: .relaxed))
        counter(group, "sink_errors", labels, "failed connects, writes, reads and cursor saves", s.errors.load(ordering: .relaxed))
        counter(group, "sink_retries", labels, "reconnects and rewrites after a failure", s.retries.load(ordering: .relaxed))
        counter(group, "sink_rejected_lines", labels, "market-data lines with a missing or malformed field (no row)", s.rejectedLines.load(ordering: .relaxed))
        counter(group, "sink_malformed_lines", labels, "lines that were not <ns> <frame>, and torn tails, skipped", s.malformedLines.load(ordering: .relaxed))
        counter(group, "sink_lost_segments", labels, "segments gone before the sink loaded them (ledger entries)", s.lostSegments.load(ordering: .relaxed))
        gauge(group, "sink_lag_messages", "", labels, "capture lines not yet confirmed by the target (pending + on disk, estimated)", Double(s.lagMessages.load(ordering: .relaxed)))
        gauge(group, "sink_lag", "seconds", labels, "age of the oldest line not yet confirmed (0 when caught up)", Double(s.lagMicros.load(ordering: .relaxed)) / 1e6)
        counter(group, "sink_segments_uploaded", labels, "sealed segments archived whole with their manifests (s3)", s.segmentsUploaded.load(ordering: .relaxed))
        counter(group, "sink_uploaded_bytes", labels, "bytes of segment files and manifests archived (s3)", s.bytesUploaded.load(ordering: .relaxed))
        counter(group, "sink_conflicts", labels, "segments whose key already held a different object, never overwritten (s3; ledger entries)", s.conflicts.load(ordering: .relaxed))
        gauge(group, "sink_lag_segments", "", labels, "sealed segments not yet archived (s3)", Double(s.lagSegments.load(ordering: .relaxed)))
        gauge(group, "sink_rows_per_second", "", labels, "rows confirmed per second over the last second", Double(s.rowsPerSecondMilli.load(ordering: .relaxed)) / 1000)
        gauge(group, "sink_connected", "", labels, "1 while the target's connection is up", s.connected.load(ordering: .relaxed) ? 1 : 0)
        let delivery = s.deliveryMicros
        for (q, v) in [("0.5", delivery?.p50), ("0.99", delivery?.p99), ("1", delivery?.max)] {
            gauge(
                group, "sink_delivery_latency", "seconds", labels + [("quantile", q)],
                "receive stamp to the target's commit, per line, since start (quantile 1: the largest)", v.map { Double($0) / 1e6 } ?? .nan)
        }
    }

    /// The durability path's failures and alarms (``StorageHealth``).
    private func export(storage h: StorageHealth.Snapshot, capture c: String) {
        let capture = [("capture", c)]
        counter(c, "storage_write_errors", capture, "segment writes that failed (each retry counts); data is held in memory and retried", h.writeErrors)
        for (target, n) in [("segment", h.segmentSyncFailures), ("directory", h.directorySyncFailures), ("gap_ledger", h.ledgerSyncFailures)] {
            counter(c, "storage_fsync_failures", capture + [("target", target)], "fsyncs that failed: what they covered may not survive a power loss", n)
        }
        counter(c, "storage_gap_ledger_write_failures", capture, "gap-ledger appends that failed (the entries are kept and retried)", h.ledgerWriteFailures)
        counter(c, "storage_recovery_scan_failures", capture, "crash-recovery scans that could not list the capture directory (recovery skipped)", h.recoveryScanFailures)
        counter(c, "storage_seal_failures", capture, "seal attempts that failed (the plain segment is kept and retried)", h.sealFailures)
        counter(c, "storage_seal_jobs_set_aside", capture, "segments the sealer gave up on (source gone or failing the same way repeatedly); left unsealed", h.sealJobsSetAside)
        counter(c, "storage_dropped_lines", capture + [("reason", "shutdown")], "lines lost to storage: buffers_exhausted = max_buffered full while the disk failed, shutdown = still failing at exit", h.linesDiscardedAtShutdown)
        for alarm in h.alarms {
            gauge(c, "storage_alarm", "", capture + [("alarm", alarm.name)], "1 while a storage alarm stands (also in the daemon's STATUS)", alarm.on ? 1 : 0)
        }
    }

    /// Drops every series of a capture that no longer runs.
    func remove(capture: String) {
        let (gauges, counters) = state.withLock { st -> ([Gauge], [Counter]) in
            defer {
                st.gauges[capture] = nil
                st.counters[capture] = nil
            }
            return (Array((st.gauges[capture] ?? [:]).values), (st.counters[capture] ?? [:]).values.map(\.0))
        }
        for g in gauges { registry.unregisterGauge(g) }
        for c in counters { registry.unregisterCounter(c) }
    }

    private func export(_ s: CaptureTelemetrySnapshot) {
        let c = s.capture
        let capture = [("capture", c)]
        counter(c, "capture_messages", capture, "messages written to the capture (the merged stream)", s.emittedTotal)
        counter(c, "capture_late_messages", capture, "messages that arrived on every connection only after a later id was written", s.lateMessagesTotal)
        counter(c, "capture_gaps", capture, "sequence gaps proven by the stream rules", s.gapsTotal)
        counter(c, "storage_dropped_lines", capture + [("reason", "buffers_exhausted")], "lines lost to storage: buffers_exhausted = max_buffered full while the disk failed, shutdown = still failing at exit", s.storageDropsTotal)
        gauge(c, "capture_messages_per_second", "", capture, "merged messages per second over the last window", s.messagesPerSecond)
        gauge(c, "capture_silent_streams", "", capture, "streams silent on every connection for longer than their stream_stale_after, or never heard from", Double(s.silentStreams))
        gauge(c, "capture_connections_up", "", capture, "connections open", Double(s.connections.filter(\.connected).count))
        let m = s.merge
        counter(c, "capture_late_placed", capture, "late copies put in their id-ordered place in the capture", m.latePlaced)
        counter(c, "capture_late_dropped", capture, "late copies dropped because their place had already been written", m.lateDropped)
        counter(c, "capture_held_copies", capture, "copies held behind a hole in a trade or depth stream", m.heldCopies)
        counter(c, "capture_holes_filled", capture, "holes filled by another connection within hole_wait", m.holesFilled)
        counter(c, "capture_holes_expired", capture, "holes no connection filled within hole_wait (ledger gaps)", m.holesExpired)
        gauge(c, "capture_held_now", "", capture, "copies waiting behind a hole now", Double(m.heldNow))
        gauge(c, "capture_hole_wait", "seconds", capture, "the hole_wait in force (adaptive with auto)", Double(m.holeWaitNanos) / 1e9)
        for (q, i) in [("0.5", 0), ("0.99", 1), ("1", 2)] {
            gauge(
                c, "capture_hole_fill_delay", "seconds", capture + [("quantile", q)],
                "time from a hole being noticed to its fill, since start (quantile 1: the largest)", Double(m.fillDelayNanos[i]) / 1e9)
            gauge(
                c, "capture_hold_delay", "seconds", capture + [("quantile", q)],
                "extra latency a held copy paid before release, since start (quantile 1: the largest)", Double(m.holdDelayNanos[i]) / 1e9)
        }
        figures(c, "merged", event: s.mergedEvent, transaction: s.mergedTransaction, lag: nil)
        alarm(c, "merged", .mergedLatency, s.alarms.contains { $0.kind == .mergedLatency })
        for x in s.connections {
            let k = "\(x.connection)"
            let labels = [("capture", c), ("connection", k)]
            gauge(c, "connection_up", "", labels, "1 while the connection is open", x.connected ? 1 : 0)
            gauge(c, "connection_uptime", "seconds", labels, "time since the connection last opened", x.uptimeSeconds)
            for (window, share) in [("interval", x.winShare), ("cumulative", x.winShareTotal)] {
                gauge(c, "connection_win_share", "ratio", labels + [("window", window)], "share of merged messages this connection delivered first", share ?? .nan)
            }
            counter(c, "connection_messages", labels, "copies received", x.totals.framesReceived)
            counter(c, "connection_wins", labels, "copies that were the first arrival", x.totals.wins)
            counter(c, "connection_duplicates", labels, "copies that lost the race", x.totals.duplicates)
            counter(c, "connection_holes_filled", labels, "holes in trade or depth streams this connection filled for the others", x.totals.holesFilled)
            counter(c, "connection_late_copies", labels, "copies of messages skipped by the faster connections, arriving after a later id", x.totals.lateCopies)
            counter(c, "connection_ring_overflows", labels, "copies dropped because the ring to the merger was full", x.totals.ringDrops)
            counter(c, "connection_reconnects", labels, "connections opened after the first", x.reconnects)
            counter(c, "connection_stale_events", labels, "connections closed for silence", x.totals.staleEvents)
            counter(c, "connection_stale_stream_events", labels, "replacements asked for because a stream other connections deliver was silent here", x.totals.staleStreamEvents)
            gauge(c, "connection_ring_depth", "", labels, "frames waiting in the ring to the merger", Double(x.ringDepth))
            gauge(c, "connection_ring_depth_max", "", labels, "deepest ring the merger saw in the last window", Double(x.ringDepthMax))
            gauge(c, "connection_ring_capacity", "", labels, "ring slots", Double(x.ringCapacity))
            gauge(c, "connection_ping_rtt", "seconds", labels, "round trip of the last client WebSocket ping (NaN before the first pong)", x.pingRoundTripNanos.map { Double($0) / 1e9 } ?? .nan)
            figures(c, k, event: x.latencyEvent, transaction: x.latencyTransaction, lag: x.lag)
            for kind in [TelemetryAlarm.Kind.zeroWinShare, .lagging, .ringNearFull] {
                alarm(c, k, kind, s.alarms.contains { $0.kind == kind && $0.connection == x.connection })
            }
        }
    }

    private func figures(_ c: String, _ connection: String, event: FigureSummary, transaction: FigureSummary, lag: FigureSummary?) {
        summary(c, connection, "latency_event", "microseconds", "arrival minus the exchange event time E (negative when the host clock is behind the exchange's)", event)
        summary(c, connection, "latency_transaction", "microseconds", "arrival minus the exchange transaction time T", transaction)
        if let lag {
            summary(c, connection, "lag", "nanoseconds", "arrival of a copy that lost the race minus the first arrival; needs no clock sync", lag)
        }
    }

    private func summary(_ c: String, _ connection: String, _ name: String, _ unit: String, _ help: String, _ f: FigureSummary) {
        for (window, h) in [("interval", f.window), ("cumulative", f.cumulative)] {
            let labels = [("capture", c), ("connection", connection), ("window", window)]
            for (q, v) in h.quantiles {
                gauge(c, name, unit, labels + [("quantile", q)], help + " (quantiles)", v.map(Double.init) ?? .nan)
            }
            gauge(c, name + "_max", unit, labels, help + " (largest)", h.max.map(Double.init) ?? .nan)
            gauge(c, name + "_min", unit, labels, help + " (smallest)", h.min.map(Double.init) ?? .nan)
            gauge(c, name + "_samples", "", labels, help + " (values in the window)", Double(h.count))
        }
    }

    private func alarm(_ c: String, _ connection: String, _ kind: TelemetryAlarm.Kind, _ on: Bool) {
        gauge(
            c, "alarm", "", [("capture", c), ("connection", connection), ("alarm", kind.rawValue)],
            "1 while a telemetry alarm stands (see [telemetry] alarm_*)", on ? 1 : 0)
    }

    // MARK: Series

    private func gauge(_ capture: String, _ name: String, _ unit: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
        let descriptor = MetricNameDescriptor(namespace: "ticktape", metricName: name, unitName: unit, helpText: help)
        let key = descriptor.name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let g = state.withLock { st -> Gauge in
            if let g = st.gauges[capture]?[key] { return g }
            let g = registry.makeGauge(descriptor: descriptor, labels: labels)
            st.gauges[capture, default: [:]][key] = g
            return g
        }
        g.set(value)
    }

    /// Counters only go up, but the totals come as absolute values: the difference is added.
    /// A total that went down (its connection was re-created) restarts the series.
    private func counter(_ capture: String, _ name: String, _ labels: [(String, String)], _ help: String, _ total: Int) {
        let descriptor = MetricNameDescriptor(namespace: "ticktape", metricName: name, unitName: "total", helpText: help)
        let key = descriptor.name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let (counter, delta) = state.withLock { st -> (Counter, Int) in
            if let (c, last) = st.counters[capture]?[key] {
                if total >= last {
                    st.counters[capture]?[key] = (c, total)
                    return (c, total - last)
                }
                registry.unregisterCounter(c)
            }
            let c = registry.makeCounter(descriptor: descriptor, labels: labels)
            st.counters[capture, default: [:]][key] = (c, total)
            return (c, total)
        }
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }
}
