#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import Synchronization

/// One sink: its thread, its target, and for each capture it takes a ``SegmentTail``, a
/// ``SinkLineDecoder``, the batch being filled and the durable cursor.
///
/// The thread (`tt-sink-<name>`) does everything: it reads segment files (page cache or disk,
/// gzip for sealed ones), decodes lines into rows, writes batches and saves cursors, so neither
/// the capture's threads nor the cooperative pool ever wait for a sink, and a slow or absent
/// target only makes the sink fall behind (lag in ``SinkStatistics``), bounded by what
/// retention holds for it.
///
/// The connection is an explicit state machine (``Connection``): `down(retryAt:failures:)` →
/// `up`; a failed connect or write goes back to `down` with a doubled pause (250 ms to
/// `retry_max`). A batch that failed is kept as it is and written again after the reconnect, so
/// nothing is skipped; the cursor moves only after the target confirmed the batch (and the
/// batch's derived state, the open bars, travels with it).
///
/// `@unchecked Sendable`: the lanes and the target are touched by the sink thread only
/// (after ``start()``); what crosses threads is `stopping`, the statistics and the holds.
package final class SinkRunner: SinkWorker, @unchecked Sendable {
    package let config: SinkConfig
    private let target: any SinkTarget
    private let logger: Logger
    private let holds: RetentionHolds?
    private let store: SinkCursorStore
    private var lanes: [Lane]
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private var thread: PinnedThread?
    /// Per capture, for metrics and STATUS.
    package let statistics: [SinkStatistics]

    private enum Connection {
        case down(retryAt: Int64, failures: Int)
        case up
    }

    private var connection = Connection.down(retryAt: 0, failures: 0)
    private var failureLog = RateLimitedLog(every: .seconds(30))
    private var lastReportAt = WallClock.monotonicNanos()
    private var lastLogAt = WallClock.monotonicNanos()

    /// One capture as this sink reads it.
    private final class Lane {
        let capture: String
        let market: String
        let tail: SegmentTail
        var decoder: SinkLineDecoder
        var batch = SinkBatch()
        /// Monotonic ns when the batch got its first line.
        var batchStartedAt: Int64 = 0
        /// The cursor the target last confirmed.
        var confirmed: SinkCursor?
        let statistics: SinkStatistics
        var rawSizes: [String: Int64] = [:]
        var bytesConsumed: Int64 = 0
        var lastLagAt: Int64 = 0
        var rowsSinceReport = 0

        init(capture: String, market: String, tail: SegmentTail, decoder: SinkLineDecoder, confirmed: SinkCursor?, statistics: SinkStatistics) {
            self.capture = capture
            self.market = market
            self.tail = tail
            self.decoder = decoder
            self.confirmed = confirmed
            self.statistics = statistics
        }
    }

    /// Builds the sink and reads its cursors; sets its retention holds at once (before the
    /// engine's first retention pass). A cursor that cannot be read throws: better no sink than
    /// one that silently reloads or skips.
    init(
        config: SinkConfig, captures: [CaptureConfig], dataDirectory: String, target: any SinkTarget, holds: RetentionHolds?,
        logger: Logger
    ) throws(SinkError) {
        self.config = config
        self.target = target
        self.holds = holds
        var logger = logger
        logger[metadataKey: "sink"] = "\(config.name)"
        self.logger = logger
        store = SinkCursorStore(dataDirectory: dataDirectory, sink: config.name)
        var lanes: [Lane] = []
        let tables: Set<SinkTableKind>
        let snapshotInterval: Duration
        let barIntervals: [BarInterval]
        switch config.target {
        case .postgres(let pg):
            tables = Set(pg.tables.keys)
            snapshotInterval = pg.snapshotInterval
            barIntervals = pg.barIntervals
        case .s3:
            throw .configuration("an s3 sink archives whole segments (S3ArchiveRunner), not lines")
        }
        for capture in captures where config.takes(capture.name) {
            let cursor = try store.load(capture: capture.name)
            let streams = capture.endpoint.streams + capture.subscribe
            let hasTrades = streams.contains { $0.hasSuffix("@trade") }
            var decoder = SinkLineDecoder(
                tables: tables, snapshotInterval: snapshotInterval, barIntervals: barIntervals, barsFromAggTrades: !hasTrades)
            if let cursor { decoder.restore(cursor.state) }
            let tail = SegmentTail(
                capture: capture.name, directory: dataDirectory + "/" + capture.name, cursor: cursor, startAt: config.startAt)
            let lane = Lane(
                capture: capture.name, market: capture.books.market.rawValue, tail: tail, decoder: decoder, confirmed: cursor,
                statistics: SinkStatistics(sink: config.name, capture: capture.name))
            lanes.append(lane)
        }
        self.lanes = lanes
        self.statistics = lanes.map(\.statistics)
        for lane in lanes {
            let name = config.name
            let store = self.store
            let log = self.logger
            let stats = lane.statistics
            holds?.hold(capture: lane.capture, holder: name, from: lane.confirmed?.segment ?? "") { capture, segment in
                stats.lostSegments.add(1, ordering: .relaxed)
                log.critical(
                    "sink: retention deleted a segment this sink had not loaded (disk critically full); its rows are missing from the target",
                    metadata: ["capture": "\(capture)", "segment": "\(segment)"])
                try? store.appendLedger(
                    .object([
                        ("cause", .string("retention")), ("sink", .string(name)), ("capture", .string(capture)),
                        ("segment", .string(segment)), ("noted_at_ns", .int(WallClock.realtimeNanos())),
                    ]))
            }
            lane.tail.onSegmentLost = { [weak lane] segment in
                guard let lane else { return }
                lane.statistics.lostSegments.add(1, ordering: .relaxed)
                log.error(
                    "sink: a segment vanished before it was loaded; moving on to the next one",
                    metadata: ["capture": "\(lane.capture)", "segment": "\(segment)"])
                try? store.appendLedger(
                    .object([
                        ("cause", .string("missing")), ("sink", .string(name)), ("capture", .string(lane.capture)),
                        ("segment", .string(segment)), ("noted_at_ns", .int(WallClock.realtimeNanos())),
                    ]))
            }
        }
    }

    package func start() {
        thread = PinnedThread.start(name: "tt-sink-" + config.name) { [self] in run() }
    }

    /// Stops the thread after the batch in flight (if any) and saves nothing unconfirmed.
    package func stop() async {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        await thread?.joined()
        thread = nil
        holds?.release(holder: config.name)
    }

    // MARK: The sink thread

    private func run() {
        logger.notice(
            "sink: started",
            metadata: ["captures": "\(lanes.map(\.capture))", "kind": "\(config.kind.rawValue)", "target": "\(targetDescription)"])
        while !stopping.load(ordering: .acquiring) {
            let now = WallClock.monotonicNanos()
            if case .down(let retryAt, let failures) = connection {
                if now < retryAt {
                    report()  // lag keeps growing while the target is down: say so
                    pause(untilMonotonic: retryAt)
                    continue
                }
                do throws(SinkError) {
                    try target.connect()
                    connection = .up
                    for lane in lanes {
                        lane.statistics.connected.store(true, ordering: .relaxed)
                        lane.statistics.setError(nil)
                    }
                    logger.notice(failures == 0 ? "sink: connected" : "sink: connected again", metadata: ["failed_attempts": "\(failures)"])
                } catch {
                    fail(error, failures: failures, during: "connect")
                    continue
                }
            }
            var busy = false
            for lane in lanes where !stopping.load(ordering: .relaxed) {
                if step(lane) { busy = true }
                if case .down = connection { break }
            }
            report()
            if !busy { pause(untilMonotonic: WallClock.monotonicNanos() + 5_000_000) }
        }
        target.disconnect()
        for lane in lanes { lane.statistics.connected.store(false, ordering: .relaxed) }
        logger.notice("sink: stopped", metadata: ["unconfirmed_lines": "\(lanes.reduce(0) { $0 + $1.batch.lines })"])
    }

    /// Reads into `lane`'s batch and writes it when it is full or old enough. Returns whether
    /// there was work (a caught-up lane returns false, so the thread naps).
    private func step(_ lane: Lane) -> Bool {
        let now = WallClock.monotonicNanos()
        var read = 0
        let room = config.batchSize - lane.batch.rows
        if room > 0 {
            do throws(SinkError) {
                let limit = min(room, 4096)
                read = try lane.tail.read(limit: limit) { stamp, frame in
                    lane.decoder.decode(receivedAt: stamp, frame: frame, into: &lane.batch)
                }
            } catch {
                lane.statistics.errors.add(1, ordering: .relaxed)
                lane.statistics.setError("\(error)")
                failureLog.log(logger, .error, "sink: reading the capture's segments failed", metadata: ["capture": "\(lane.capture)", "error": "\(error)"])
                return false
            }
            if read > 0 && lane.batchStartedAt == 0 { lane.batchStartedAt = now }
        }
        let cursorMoved = lane.tail.cursor != lane.confirmed && lane.tail.cursor != nil
        guard lane.batch.lines > 0 || cursorMoved else { return read > 0 }
        let full = lane.batch.rows >= config.batchSize
        let old = lane.batchStartedAt > 0 && now - lane.batchStartedAt >= config.batchInterval.nanoseconds
        // A cursor that moved without lines (onto the next segment) is saved with the next batch.
        guard full || old || (lane.batch.lines == 0 && cursorMoved && read == 0) else { return read > 0 }
        flush(lane)
        return true
    }

    /// Writes the batch, then saves the cursor. On failure the batch stays for the next attempt.
    private func flush(_ lane: Lane) {
        guard case .up = connection else { return }
        let batch = lane.batch
        if batch.rows > 0 {
            do throws(SinkError) {
                try target.write(batch, market: lane.market)
            } catch {
                fail(error, failures: 0, during: "write")
                return
            }
        }
        let committedAt = WallClock.realtimeNanos()
        guard var cursor = lane.tail.cursor else { return }
        cursor.state = lane.decoder.state
        do throws(SinkError) {
            try store.save(cursor, capture: lane.capture)
        } catch {
            // The rows are in; the next save covers them. A replay after a crash only repeats them.
            lane.statistics.errors.add(1, ordering: .relaxed)
            failureLog.log(logger, .error, "sink: saving the cursor failed", metadata: ["capture": "\(lane.capture)", "error": "\(error)"])
        }
        if let previous = lane.confirmed, previous.segment == cursor.segment {
            lane.bytesConsumed += cursor.offset - previous.offset
        } else {
            lane.bytesConsumed += cursor.offset
        }
        lane.confirmed = cursor
        holds?.advance(capture: lane.capture, holder: config.name, to: cursor.segment)
        let s = lane.statistics
        s.rowsWritten.add(batch.rows, ordering: .relaxed)
        s.linesConsumed.add(batch.lines, ordering: .relaxed)
        if batch.rows > 0 { s.batchesWritten.add(1, ordering: .relaxed) }
        s.rejectedLines.store(lane.decoder.rejected, ordering: .relaxed)
        s.malformedLines.store(lane.tail.malformedLines + lane.tail.tornTails, ordering: .relaxed)
        s.recordDelivery(stamps: batch.receivedStamps, committedAt: committedAt)
        lane.rowsSinceReport += batch.rows
        lane.batch = SinkBatch()
        lane.batch.receivedStamps.reserveCapacity(batch.receivedStamps.count)
        lane.batchStartedAt = 0
    }

    private func fail(_ error: SinkError, failures: Int, during what: String) {
        let failures: Int = {
            if case .down(_, let n) = connection { return max(n, failures) + 1 }
            return 1
        }()
        target.disconnect()
        let pause = Self.backoff(failures: failures, maximum: config.retryMax)
        connection = .down(retryAt: WallClock.monotonicNanos() + pause.nanoseconds, failures: failures)
        // The target is shared by the sink's captures: each one's figures show the failure.
        for lane in lanes {
            lane.statistics.errors.add(1, ordering: .relaxed)
            lane.statistics.retries.add(1, ordering: .relaxed)
            lane.statistics.connected.store(false, ordering: .relaxed)
            lane.statistics.setError("\(error)")
        }
        failureLog.log(
            logger, failures == 1 ? .error : .warning, "sink: \(what) failed; capture goes on, the sink retries and resumes from its cursor",
            metadata: ["error": "\(error)", "retry_in": "\(HumanDuration.formatForLog(pause))", "failures": "\(failures)"])
    }

    /// 250 ms doubling per failure, up to `maximum`.
    static func backoff(failures: Int, maximum: Duration) -> Duration {
        let exponent = min(max(failures - 1, 0), 20)
        return min(.milliseconds(250) * (1 << exponent), maximum)
    }

    private func pause(untilMonotonic deadline: Int64) {
        let wait = max(0, min(deadline - WallClock.monotonicNanos(), 100_000_000))
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait)))
    }

    /// Lag and rate figures about once a second, and a log line a minute.
    private func report() {
        let now = WallClock.monotonicNanos()
        guard now - lastReportAt >= 1_000_000_000 else { return }
        let seconds = Double(now - lastReportAt) / 1e9
        lastReportAt = now
        let wall = WallClock.realtimeNanos()
        for lane in lanes {
            let s = lane.statistics
            s.rowsPerSecondMilli.store(Int(Double(lane.rowsSinceReport) / seconds * 1000), ordering: .relaxed)
            lane.rowsSinceReport = 0
            let backlog = lane.tail.backlogBytes(rawSizes: &lane.rawSizes)
            let consumed = s.linesConsumed.load(ordering: .relaxed)
            let meanLine = consumed > 0 && lane.bytesConsumed > 0 ? max(1, lane.bytesConsumed / Int64(consumed)) : 200
            let unread = Int(backlog / meanLine)
            s.lagMessages.store(lane.batch.lines + unread, ordering: .relaxed)
            let oldest = lane.batch.firstReceivedAt > 0 ? lane.batch.firstReceivedAt : (unread > 0 ? lane.confirmed?.lastReceivedAt ?? 0 : 0)
            s.lagMicros.store(oldest > 0 ? Int(max(0, wall - oldest) / 1000) : 0, ordering: .relaxed)
        }
        if now - lastLogAt >= 60_000_000_000 {
            lastLogAt = now
            for s in statistics {
                logger.info(
                    "sink: progress",
                    metadata: [
                        "capture": "\(s.capture)", "rows": "\(s.rowsWritten.load(ordering: .relaxed))",
                        "rows_per_s": "\(s.rowsPerSecondMilli.load(ordering: .relaxed) / 1000)",
                        "lag_messages": "\(s.lagMessages.load(ordering: .relaxed))",
                        "lag_ms": "\(s.lagMicros.load(ordering: .relaxed) / 1000)",
                        "errors": "\(s.errors.load(ordering: .relaxed))", "retries": "\(s.retries.load(ordering: .relaxed))",
                        "connected": "\(s.connected.load(ordering: .relaxed))",
                    ])
            }
        }
    }

    private var targetDescription: String {
        switch config.target {
        case .postgres(let pg): pg.url.description
        case .s3(let s3): s3.endpoint.url
        }
    }
}
