import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The merge state of one capture: its rings in, its segment writer out.
///
/// Owned by the merger thread: nothing here is touched by any other thread except the
/// atomics in the statistics objects and settings updates (`late_policy`, `hole_wait`, flush
/// interval, stream watch), which go through the `settings` mutex and are picked up between
/// batches. Split by concern: holes in continuity streams (`+Holes`), the open buffer, late
/// placement and hand-over (`+Output`).
/// Its hot fields are `@exclusivity(unchecked)`: that single owner is the guarantee, and the
/// runtime checks cost about 8 % of the per-copy time (perf, hot-path microbenchmarks).
///
/// `@unchecked Sendable`: the merger thread owns every mutable field; other threads reach only `statistics` (atomics) and `settings` (a `Mutex`).
package final class CaptureMerger: @unchecked Sendable {
    package let name: String
    @exclusivity(unchecked) private(set) var rings: [SPSCRing<InboundFrame>]
    @exclusivity(unchecked) private(set) var connections: [ConnectionStatistics]
    /// Per connection, beside ``connections``: where the stream watchdog asks for a replacement.
    @exclusivity(unchecked) private(set) var controls: [ConnectionControl]
    package let statistics = CaptureStatistics()
    let writer: SegmentWriter
    /// Latency, lag and ring-depth recording (nil with `[telemetry] enabled = false`).
    let telemetry: CaptureTelemetry?
    /// Never blocks the merger thread on a busy journal.
    let logger: DeferredLogger
    private let settings: Mutex<Settings>
    /// Lines other threads ask to have written (``inject(line:receivedAt:)``), taken between batches.
    let injected = Mutex<[(line: [UInt8], receivedAt: Int64)]>([])

    struct Settings {
        var latePolicy: LatePolicy
        var holeWait: HoleWait
        var flushIntervalNanos: Int64
        var streamWatch: StreamWatchdog.Settings
    }

    @exclusivity(unchecked) var latePolicy: LatePolicy
    var flushIntervalNanos: Int64
    @exclusivity(unchecked) private var streams: [UInt64: StreamSequencer] = [:]
    /// The same sequencers by ``StreamSequencer/slot``.
    @exclusivity(unchecked) var streamsBySlot: [StreamSequencer] = []
    @exclusivity(unchecked) private var lastStream: StreamSequencer?
    private let watchdog: StreamWatchdog
    /// The lines not yet handed to the writer (see CaptureMerger+Output.swift).
    let output = OpenLines()
    /// The `hole_wait` in force (see CaptureMerger+Holes.swift).
    @exclusivity(unchecked) var holeWait: HoleWaitEstimator
    /// Streams with copies held behind a hole.
    @exclusivity(unchecked) var holding: [StreamSequencer] = []
    /// Fill delays and hold delays (µs) since start, published to ``statistics`` every second.
    @exclusivity(unchecked) var fillDelays = CaptureMerger.delayHistogram()
    @exclusivity(unchecked) var holdDelays = CaptureMerger.delayHistogram()
    @exclusivity(unchecked) var fillDelayMax: Int64 = 0
    @exclusivity(unchecked) var holdDelayMax: Int64 = 0
    private var nextPublishAt: Int64 = 0
    /// The live consumers of the merged stream: the books, the relay (set before the merger
    /// starts).
    package var consumers: [MergedStreamConsumer] = []
    /// One warning per 5 s about unreadable frames, with how many were not logged.
    private var malformedLog = RateLimitedLog(every: .seconds(5))
    /// One critical line per 10 s while storage drops lines.
    var storageDropLog = RateLimitedLog(every: .seconds(10))
    /// Lines dropped since buffering last worked (storage failing); becomes a ledger entry.
    var dropSpan = StorageDropSpan()
    /// Merge counts per stream not yet attached to a buffer handed to the writer.
    @exclusivity(unchecked) var pendingMerge: [String: StreamMergeCounts] = [:]
    /// Counts the times every connection of the capture was down at once (see ``checkOutage()``).
    @exclusivity(unchecked) private var outageEpoch = 0
    /// Streams with ``StreamSequencer/pendingGaps`` not yet in the ledger.
    @exclusivity(unchecked) private var gapsPending: [StreamSequencer] = []
    private var inOutage = false
    private var everConnected = false
    /// Per connection: receive stamp of its last frame, and the `links` count its frames were
    /// last seen under (a change marks the first frame of a new link).
    @exclusivity(unchecked) var lastFrameAt: [Int64] = []
    /// The newest receive stamp processed on any connection: the merged stream's "now".
    @exclusivity(unchecked) var newestReceivedAt: Int64 = 0
    /// Monotonic ns of the last late copy (long ago until the first: nothing is kept back).
    @exclusivity(unchecked) var lastLateAt = Int64.min / 2
    @exclusivity(unchecked) private var seenLinks: [Int] = []

    /// `package`: the hot-path microbenchmarks (Benchmarks/HotPath) build mergers directly.
    package init(
        name: String,
        rings: [SPSCRing<InboundFrame>],
        connections: [ConnectionStatistics],
        controls: [ConnectionControl]? = nil,
        writer: SegmentWriter,
        latePolicy: LatePolicy,
        holeWait: HoleWait = .auto,
        flushInterval: Duration,
        logger: Logger,
        telemetry: CaptureTelemetry? = nil,
        streamWatch: StreamWatchdog.Settings = .init()
    ) {
        self.name = name
        self.telemetry = telemetry
        self.rings = rings
        self.connections = connections
        self.controls = controls ?? connections.map { _ in ConnectionControl() }
        precondition(self.controls.count == connections.count, "one control per connection")
        self.writer = writer
        self.logger = DeferredLogger(logger)
        self.latePolicy = latePolicy
        self.holeWait = HoleWaitEstimator(holeWait)
        self.flushIntervalNanos = flushInterval.nanoseconds
        self.settings = Mutex(
            Settings(
                latePolicy: latePolicy, holeWait: holeWait, flushIntervalNanos: flushInterval.nanoseconds,
                streamWatch: streamWatch))
        self.watchdog = StreamWatchdog(capture: name, settings: streamWatch, logger: self.logger)
        telemetry?.bind(capture: statistics)
        for (ring, stats) in zip(rings, connections) { telemetry?.attach(stats, ring: ring) }
    }

    /// Changes settings that may change live; applied by the merger thread within one loop.
    func update(
        latePolicy: LatePolicy, holeWait: HoleWait, flushInterval: Duration, streamWatch: StreamWatchdog.Settings
    ) {
        settings.withLock {
            $0 = Settings(
                latePolicy: latePolicy, holeWait: holeWait, flushIntervalNanos: flushInterval.nanoseconds,
                streamWatch: streamWatch)
        }
    }

    /// The sequencers seen so far, by stream name (merger thread only; for tests and reports).
    var sequencers: [StreamSequencer] { Array(streams.values) }

    /// Merger thread only: a new connection joined the capture.
    func attach(ring: SPSCRing<InboundFrame>, statistics: ConnectionStatistics, control: ConnectionControl) {
        rings.append(ring)
        connections.append(statistics)
        controls.append(control)
        telemetry?.attach(statistics, ring: ring)
    }

    /// Merger thread only: a drained connection leaves the capture.
    func detach(ring: SPSCRing<InboundFrame>) {
        guard let i = rings.firstIndex(where: { $0 === ring }) else { return }
        while let frame = ring.pop() { process(frame, from: i) }
        telemetry?.detach(connections[i])
        rings.remove(at: i)
        connections.remove(at: i)
        controls.remove(at: i)
        if i < lastFrameAt.count {
            lastFrameAt.remove(at: i)
            seenLinks.remove(at: i)
        }
    }

    /// Drains up to `budget` frames from every ring. Returns how many were processed.
    @inline(__always)
    package func poll(budget: Int) -> Int {
        var processed = 0
        for k in rings.indices {
            let ring = rings[k]
            var n = 0
            while n < budget, let frame = ring.pop() {
                process(frame, from: k)
                n += 1
            }
            if n > 0, let telemetry { telemetry.observe(ringDepth: n &+ ring.count, connection: connections[k].index) }
            processed += n
        }
        if !holding.isEmpty { checkHoles(now: WallClock.monotonicNanos()) }
        return processed
    }

    /// Whether every ring is empty (for draining at stop).
    var ringsEmpty: Bool { rings.allSatisfy { $0.count == 0 } }

    package func process(_ frame: InboundFrame, from k: Int) {
        frame.payload.withUnsafeReadableBytes { bytes in
            noteArrival(frame.receivedAt, from: k)
            var scanned = FrameScanner.scan(bytes)
            if scanned.kind != .malformed && !UTF8Validation.isValid(bytes) { scanned.kind = .malformed }
            let stats = connections[k]
            switch scanned.kind {
            case .malformed:
                stats.malformed.bump()
                reportMalformed(bytes, connection: k)
                return
            case .controlReply:
                stats.controlReplies.bump()
                if scanned.isError {
                    logger.warning(
                        "exchange rejected a request",
                        metadata: ["connection": "\(k)", "reply": "\(String(decoding: bytes.prefix(200), as: UTF8.self))"])
                }
                return
            case .data:
                break
            }
            let stream = sequencer(for: scanned, in: bytes)
            // A frame of an id-sequenced stream without its id (fields missing) cannot be placed:
            // a content hash would pose as an id and wreck the stream's order.
            guard let id = stream.rule == .content ? Self.contentHash(bytes) : stream.rule.sequenceID(of: scanned) else {
                stats.malformed.bump()
                reportMalformed(bytes, connection: k)
                return
            }
            stream.noteSeen(connection: stats.index, at: frame.receivedAt, id: id)
            // A continuity stream's copy that leaves a hole (or joins one being waited on) may
            // wait for another connection to fill it: see CaptureMerger+Holes.swift.
            if stream.mayWait(id: id, frame: scanned), hold(frame, id: id, scanned: scanned, stream: stream, stats: stats) {
                return
            }
            let previous = stream.lastEmitted
            let decision = stream.decide(id: id, frame: scanned, policy: latePolicy, receivedAt: frame.receivedAt)
            switch decision {
            case .emit(let gap):
                stats.wins.bump()
                emitLine(bytes, receivedAt: frame.receivedAt, stream: stream, id: id, previous: previous, gap: gap)
            case .duplicate:
                stats.duplicates.bump()
                if stream.winnerReceivedAt != 0 {
                    holeWait.record(lagNanos: frame.receivedAt &- stream.winnerReceivedAt, connection: stats.index)
                }
            case .late(let first):
                stats.lateCopies.bump()
                if first { statistics.lateMessages.bump() }
                let low = scanned.previousUpdateID.map { $0 &+ 1 } ?? scanned.firstUpdateID ?? id
                late(
                    bytes, receivedAt: frame.receivedAt, stream: stream, id: id, first: first,
                    coveredIDs: min(low, id)...id)
            }
            telemetry?.record(
                scanned, id: id, receivedAt: frame.receivedAt, connection: stats.index, decision: decision, stream: stream)
            // A copy on another connection may prove a hole being waited on unfillable.
            if !stream.held.isEmpty { expireHoles(of: stream, now: WallClock.monotonicNanos()) }
        }
    }

    /// Writes the stream's next message in order and records what its arrival proves missing.
    @inline(__always)
    func emitLine(
        _ bytes: UnsafeRawBufferPointer, receivedAt: Int64, stream: StreamSequencer, id: Int64, previous: Int64?,
        gap: ClosedRange<Int64>?
    ) {
        appendLine(receivedAt, bytes, stream: stream, id: id)
        if stream.outageEpoch != outageEpoch {
            stream.outageEpoch = outageEpoch
            recordOutageGap(stream: stream, previous: previous, next: id, receivedAt: receivedAt)
        } else if let gap {
            recordGap(gap, stream: stream)
        }
        stream.lastEmittedReceivedAt = receivedAt
        for consumer in consumers { consumer.merged(stream: stream.name, id: id, receivedAt: receivedAt, frame: bytes) }
    }

    /// The merge counts of `stream` for the buffer being filled (and its running total).
    @inline(__always)
    func count(_ stream: StreamSequencer, _ change: (inout StreamMergeCounts) -> Void) {
        change(&pendingMerge[stream.name, default: StreamMergeCounts()])
        change(&stream.mergeCounts)
    }

    /// Between batches: settings, outage and staleness checks, hole expiry, and the hand-over
    /// of the open buffer once it is `flush_interval` old (keeping its newest lines back for
    /// late copies while they come).
    package func flushIfDue(now: Int64) {
        checkOutage()
        let s = settings.withLock { $0 }
        latePolicy = s.latePolicy
        flushIntervalNanos = s.flushIntervalNanos
        holeWait.update(s.holeWait)
        watchdog.update(s.streamWatch, streams: streams.values)
        watchdog.checkIfDue(now: now, streams: streams.values, connections: connections, controls: controls, statistics: statistics)
        if !holding.isEmpty { checkHoles(now: now) }
        if output.lines > 0, now - output.startedAt >= flushIntervalNanos {
            rollOver(minimumFree: 0, keepTail: true, now: now)
        }
        if !gapsPending.isEmpty { writeSettledGaps() }
        writeInjected()
        if now >= nextPublishAt {
            nextPublishAt = now + 1_000_000_000
            holeWait.rollIfDue(now: now)
            publishMergeFigures()
        }
        telemetry?.rollIfDue(now: now)
    }

    /// Releases every held copy (their holes become gaps) and hands over whatever is buffered (at stop).
    package func flushNow() {
        releaseAllHolds()
        writeInjected()
        if output.lines > 0 {
            if let b = output.split(keeping: 0, into: nil, update: advanceWritten) { handOver(b) }
        }
        writeSettledGaps(all: true)
        if dropSpan.isOpen { closeDropSpan() }
        publishMergeFigures()
        telemetry?.finish()
    }

    /// Submits a filled buffer, carrying the merge counts collected since the previous one.
    func handOver(_ b: LineBuffer) {
        if !pendingMerge.isEmpty {
            for (stream, counts) in pendingMerge { b.merge[stream, default: StreamMergeCounts()].add(counts) }
            pendingMerge = [:]
        }
        writer.submit(b)
    }

    /// Buffering works again after drops: one `storage` ledger entry for the whole span.
    func closeDropSpan() {
        let up = connections.reduce(0) { $0 + ($1.connected.load(ordering: .relaxed) ? 1 : 0) }
        let record = dropSpan.close(detectedAt: WallClock.realtimeNanos(), connectionsUp: up)
        statistics.gaps.bump()
        let ranges = record.streams.map { r in
            "\(r.stream) \(r.firstID.map(String.init) ?? "-")...\(r.lastID.map(String.init) ?? "-")"
        }
        logger.error(
            "lines lost to storage recorded in the gap ledger",
            metadata: [
                "capture": "\(name)", "lines": "\(record.droppedLines ?? 0)",
                "first_dropped_ns": "\(record.firstDroppedAt ?? 0)", "last_dropped_ns": "\(record.lastDroppedAt ?? 0)",
                "streams": "\(ranges)",
            ])
        writer.record(gap: record)
    }

    /// A `sequence` gap: the rule proves `gap` was never received. It goes to the ledger once
    /// no late copy can be placed inside it any more (``PendingGaps``).
    func recordGap(_ gap: ClosedRange<Int64>, stream: StreamSequencer) {
        let up = connections.reduce(0) { $0 + ($1.connected.load(ordering: .relaxed) ? 1 : 0) }
        logger.warning(
            "sequence gap",
            metadata: [
                "capture": "\(name)", "stream": "\(stream.name)",
                "missing": "\(gap.lowerBound)...\(gap.upperBound)", "connections_up": "\(up)",
            ])
        hold(PendingGaps.Piece(ids: gap, cause: "sequence", connectionsUp: up), of: stream)
    }

    private func hold(_ piece: PendingGaps.Piece, of stream: StreamSequencer) {
        if stream.pendingGaps.isEmpty { gapsPending.append(stream) }
        stream.pendingGaps.add(piece)
        // Nothing is ever placed under `drop`: the gap is final now.
        if latePolicy == .drop { writeSettledGaps(of: stream, all: true) }
    }

    /// Writes every pending gap no late copy can reach any more (`all`: every one, at stop).
    func writeSettledGaps(all: Bool = false) {
        gapsPending.removeAll { stream in
            writeSettledGaps(of: stream, all: all)
            return stream.pendingGaps.isEmpty
        }
    }

    private func writeSettledGaps(of stream: StreamSequencer, all: Bool) {
        for piece in stream.pendingGaps.takeSettled(writtenThrough: stream.writtenThrough, all: all) {
            statistics.gaps.bump()
            if stream.rule.detectsGaps { statistics.missingIDs.bump(piece.ids.count) }
            let record = GapRecord(
                stream: stream.name, firstMissing: piece.ids.lowerBound, lastMissing: piece.ids.upperBound,
                detectedAt: WallClock.realtimeNanos(), cause: piece.cause, connectionsUp: piece.connectionsUp,
                firstDroppedAt: piece.afterReceivedAt, lastDroppedAt: piece.beforeReceivedAt)
            writeGap(record)
        }
    }

    /// Per frame: detects the first frame of a connection's new link and asks whether anyone
    /// covered the time it was away. If no other connection read anything (processed or still
    /// queued) during at least the second half of that time (all down or all stalled together),
    /// nobody did: the capture was blind, and each stream's next emit records a `disconnect` gap.
    @inline(__always)
    private func noteArrival(_ receivedAt: Int64, from k: Int) {
        if k >= lastFrameAt.count {
            lastFrameAt.append(contentsOf: repeatElement(0, count: k + 1 - lastFrameAt.count))
            seenLinks.append(contentsOf: repeatElement(0, count: k + 1 - seenLinks.count))
        }
        let stats = connections[k]
        let links = stats.links.load(ordering: .acquiring)
        if links != seenLinks[k], receivedAt >= Int64(stats.linkOpenedAt.load(ordering: .relaxed)) {
            seenLinks[k] = links
            let away = lastFrameAt[k]
            if away > 0 {
                let quietSince = away + (receivedAt - away) / 2
                var covered = false
                // A frame already read but still queued counts too: the merger may simply not have
                // reached that ring yet.
                for j in lastFrameAt.indices where j != k {
                    if lastFrameAt[j] > quietSince || (j < rings.count && (rings[j].newest?.receivedAt ?? 0) > quietSince) {
                        covered = true
                    }
                }
                if !covered { outageEpoch &+= 1 }
            }
        }
        lastFrameAt[k] = receivedAt
        if receivedAt > newestReceivedAt { newestReceivedAt = receivedAt }
    }

    /// Notices when every connection is down at once. The rings are drained first, so every
    /// frame received before the outage is behind it; each stream's next emit then records the
    /// hole as a `disconnect` gap (``recordOutageGap``). Runs between batches, not per message.
    private func checkOutage() {
        let anyUp = connections.contains { $0.connected.load(ordering: .acquiring) }
        if anyUp {
            everConnected = true
            if inOutage {
                inOutage = false
                logger.notice("a connection is back; capture resumes", metadata: ["capture": "\(name)"])
            }
        } else if everConnected && !inOutage && !connections.isEmpty {
            while poll(budget: 4096) > 0 {}
            inOutage = true
            outageEpoch &+= 1
            logger.error(
                "every connection is down; the gap will be recorded in the ledger",
                metadata: ["capture": "\(name)", "connections": "\(connections.count)"])
        }
    }

    /// The ledger entry for what a stream lost while every connection was down: the ids
    /// strictly between the last line before and the first line after
    /// (`first_missing...last_missing`; `-1` for content-deduplicated streams, which have no
    /// ids), and those two lines' receive stamps as exclusive time bounds
    /// (`first_dropped_ns`/`last_dropped_ns`). For id-ordered streams it waits in
    /// ``PendingGaps``: a connection that comes back later may still deliver messages from
    /// inside the gap, which are placed and cut out of it.
    func recordOutageGap(stream: StreamSequencer, previous: Int64?, next: Int64, receivedAt: Int64) {
        guard let previous else { return }
        let ordered = stream.rule != .content
        if ordered && next <= previous &+ 1 { return }
        let up = connections.reduce(0) { $0 + ($1.connected.load(ordering: .relaxed) ? 1 : 0) }
        logger.warning(
            "gap while every connection was down",
            metadata: [
                "capture": "\(name)", "stream": "\(stream.name)",
                "between": "\(previous)...\(next)",
                "seconds": "\(Double(receivedAt - stream.lastEmittedReceivedAt) / 1e9)",
            ])
        guard ordered else {
            statistics.gaps.bump()
            writeGap(
                GapRecord(
                    stream: stream.name, firstMissing: -1, lastMissing: -1, detectedAt: WallClock.realtimeNanos(),
                    cause: "disconnect", connectionsUp: up, firstDroppedAt: stream.lastEmittedReceivedAt,
                    lastDroppedAt: receivedAt))
            return
        }
        hold(
            PendingGaps.Piece(
                ids: (previous + 1)...(next - 1), cause: "disconnect", connectionsUp: up,
                afterReceivedAt: stream.lastEmittedReceivedAt, beforeReceivedAt: receivedAt),
            of: stream)
    }

    private func writeGap(_ record: GapRecord) {
        writer.record(gap: record)
        for consumer in consumers { consumer.gap(record) }
    }

    private func reportMalformed(_ bytes: UnsafeRawBufferPointer, connection k: Int) {
        // `admit` rather than `log`: the head is rendered only for a line that goes out, and
        // `suppressed` is always there (0 included), as operators' queries expect.
        guard let suppressed = malformedLog.admit() else { return }
        var head = String(decoding: bytes.prefix(120), as: UTF8.self)
        head = String(head.unicodeScalars.map { $0.value < 0x20 ? "." : Character($0) })
        logger.warning(
            "skipped a frame that is not a readable JSON message",
            metadata: [
                "capture": "\(name)", "connection": "\(k)", "bytes": "\(bytes.count)", "head": "\(head)",
                "suppressed": "\(suppressed)",
            ])
    }

    // MARK: Streams

    private func sequencer(for frame: ScannedFrame, in bytes: UnsafeRawBufferPointer) -> StreamSequencer {
        // Fast path, nearly every copy of a combined stream: the same stream as the last frame.
        if let last = lastStream, let stream = frame.stream, !stream.isEmpty, last.keyBytes.count == stream.count,
            last.keyBytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress! + stream.lowerBound, stream.count) == 0 })
        {
            return last
        }
        let rule = SequenceRule.classify(frame, in: bytes)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { scratch in
            let key = Self.streamKey(frame, rule: rule, bytes: bytes, into: scratch)
            if let last = lastStream, Self.same(last.keyBytes, key) { return last }
            var h = Self.fnv1a(key)
            while let existing = streams[h] {
                if Self.same(existing.keyBytes, key) {
                    lastStream = existing
                    return existing
                }
                h &+= 1
            }
            let created = StreamSequencer(
                name: StreamName.of(frame, rule: rule, in: bytes), rule: rule, keyBytes: Array(key))
            created.outageEpoch = outageEpoch
            created.slot = streamsBySlot.count
            streamsBySlot.append(created)
            watchdog.adopt(created)
            streams[h] = created
            lastStream = created
            logger.info(
                "new stream", metadata: ["capture": "\(name)", "stream": "\(created.name)", "rule": "\(rule)"])
            return created
        }
    }

    /// The identity of a stream: the combined-stream name when present, else event type + symbol.
    private static func streamKey(
        _ frame: ScannedFrame, rule: SequenceRule, bytes: UnsafeRawBufferPointer,
        into scratch: UnsafeMutableBufferPointer<UInt8>
    ) -> UnsafeMutableBufferPointer<UInt8> {
        var n = 0
        func put(_ range: Range<Int>?) {
            guard let range else { return }
            for i in range where n < scratch.count {
                scratch[n] = bytes[i]
                n += 1
            }
        }
        if let stream = frame.stream {
            put(stream)
        } else {
            if let e = frame.eventType { put(e) } else {
                for b in "\(rule)".utf8 where n < scratch.count {
                    scratch[n] = b
                    n += 1
                }
            }
            if n < scratch.count {
                scratch[n] = UInt8(ascii: "|")
                n += 1
            }
            put(frame.symbol)
        }
        return UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
    }

    @inline(__always)
    private static func same(_ a: [UInt8], _ b: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (b.isEmpty || a.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 })
    }

    @inline(__always)
    static func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }

    static func contentHash(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        Int64(bitPattern: fnv1a(bytes))
    }
}
