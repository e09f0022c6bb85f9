import Logging
import NIOCore
import Synchronization

/// The merge state of one capture: its rings in, its segment writer out.
///
/// Owned by the merger thread: nothing here is touched by any other thread except the
/// atomics in the statistics objects and `latePolicy`/`flushInterval` updates, which go
/// through the `settings` mutex and are picked up between batches.
public final class CaptureMerger: @unchecked Sendable {
    public let name: String
    private(set) var rings: [SPSCRing<InboundFrame>]
    private(set) var connections: [ConnectionStatistics]
    public let statistics = CaptureStatistics()
    let writer: SegmentWriter
    private let logger: Logger
    private let settings: Mutex<Settings>

    struct Settings {
        var latePolicy: LatePolicy
        var flushIntervalNanos: Int64
    }

    private var latePolicy: LatePolicy
    private var flushIntervalNanos: Int64
    private var streams: [UInt64: StreamSequencer] = [:]
    private var lastStream: StreamSequencer?
    private var buffer: LineBuffer?
    private var bufferStartedAt: Int64 = 0
    private var malformedLoggedAt: Int64 = 0
    private var malformedSuppressed = 0
    private var storageDropLoggedAt: Int64 = 0

    init(
        name: String,
        rings: [SPSCRing<InboundFrame>],
        connections: [ConnectionStatistics],
        writer: SegmentWriter,
        latePolicy: LatePolicy,
        flushInterval: Duration,
        logger: Logger
    ) {
        self.name = name
        self.rings = rings
        self.connections = connections
        self.writer = writer
        self.logger = logger
        self.latePolicy = latePolicy
        self.flushIntervalNanos = flushInterval.nanoseconds
        self.settings = Mutex(Settings(latePolicy: latePolicy, flushIntervalNanos: flushInterval.nanoseconds))
    }

    /// Changes settings that may change live; applied by the merger thread within one loop.
    public func update(latePolicy: LatePolicy, flushInterval: Duration) {
        settings.withLock { $0 = Settings(latePolicy: latePolicy, flushIntervalNanos: flushInterval.nanoseconds) }
    }

    /// The sequencers seen so far, by stream name (merger thread only; for tests and reports).
    var sequencers: [StreamSequencer] { Array(streams.values) }

    /// Merger thread only: a new connection joined the capture.
    func attach(ring: SPSCRing<InboundFrame>, statistics: ConnectionStatistics) {
        rings.append(ring)
        connections.append(statistics)
    }

    /// Merger thread only: a drained connection leaves the capture.
    func detach(ring: SPSCRing<InboundFrame>) {
        guard let i = rings.firstIndex(where: { $0 === ring }) else { return }
        while let frame = ring.pop() { process(frame, from: i) }
        rings.remove(at: i)
        connections.remove(at: i)
    }

    /// Drains up to `budget` frames from every ring. Returns how many were processed.
    @inline(__always)
    func poll(budget: Int) -> Int {
        var processed = 0
        for k in rings.indices {
            let ring = rings[k]
            var n = 0
            while n < budget, let frame = ring.pop() {
                process(frame, from: k)
                n += 1
            }
            processed += n
        }
        return processed
    }

    /// Whether every ring is empty (for draining at stop).
    var ringsEmpty: Bool { rings.allSatisfy { $0.count == 0 } }

    func process(_ frame: InboundFrame, from k: Int) {
        frame.payload.withUnsafeReadableBytes { bytes in
            let scanned = FrameScanner.scan(bytes)
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
            let id = stream.rule.sequenceID(of: scanned) ?? Self.contentHash(bytes)
            switch stream.decide(id: id, frame: scanned, policy: latePolicy) {
            case .emit(let gap):
                stats.wins.bump()
                append(frame.receivedAt, bytes)
                if let gap { recordGap(gap, stream: stream) }
            case .duplicate:
                stats.duplicates.bump()
            case .late(let first):
                stats.lateCopies.bump()
                if first { statistics.lateMessages.bump() }
                if first && latePolicy == .emit { append(frame.receivedAt, bytes) }
            }
        }
    }

    private func append(_ receivedAt: Int64, _ bytes: UnsafeRawBufferPointer) {
        if buffer == nil || !buffer!.append(receivedAt: receivedAt, payload: bytes) {
            if let full = buffer, full.lines > 0 { writer.submit(full) }
            buffer = writer.acquireBuffer(minimum: LineBuffer.lineSize(payloadCount: bytes.count))
            guard let fresh = buffer, fresh.append(receivedAt: receivedAt, payload: bytes) else {
                statistics.storageDrops.bump()
                let now = WallClock.monotonicNanos()
                if now - storageDropLoggedAt > 10_000_000_000 {
                    storageDropLoggedAt = now
                    logger.critical(
                        "write buffers exhausted (storage failing); dropping lines",
                        metadata: ["capture": "\(name)", "dropped_total": "\(statistics.storageDrops.load(ordering: .relaxed))"])
                }
                return
            }
            bufferStartedAt = WallClock.monotonicNanos()
        } else if buffer!.lines == 1 {
            bufferStartedAt = WallClock.monotonicNanos()
        }
        statistics.emitted.bump()
        statistics.lastEmittedAt.store(Int(receivedAt), ordering: .relaxed)
    }

    /// Hands the current buffer to the writer if it has been open for the flush interval.
    func flushIfDue(now: Int64) {
        let s = settings.withLock { $0 }
        latePolicy = s.latePolicy
        flushIntervalNanos = s.flushIntervalNanos
        if let b = buffer, b.lines > 0, now - bufferStartedAt >= flushIntervalNanos {
            writer.submit(b)
            buffer = nil
        }
    }

    /// Hands over whatever is buffered (at stop).
    func flushNow() {
        if let b = buffer, b.lines > 0 {
            writer.submit(b)
        }
        buffer = nil
    }

    private func recordGap(_ gap: ClosedRange<Int64>, stream: StreamSequencer) {
        statistics.gaps.bump()
        statistics.missingIDs.bump(gap.count)
        let up = connections.reduce(0) { $0 + ($1.connected.load(ordering: .relaxed) ? 1 : 0) }
        let record = GapRecord(
            stream: stream.name, firstMissing: gap.lowerBound, lastMissing: gap.upperBound,
            detectedAt: WallClock.realtimeNanos(), cause: "sequence", connectionsUp: up)
        logger.warning(
            "sequence gap",
            metadata: [
                "capture": "\(name)", "stream": "\(stream.name)",
                "missing": "\(gap.lowerBound)...\(gap.upperBound)", "connections_up": "\(up)",
            ])
        writer.record(gap: record)
    }

    private func reportMalformed(_ bytes: UnsafeRawBufferPointer, connection k: Int) {
        let now = WallClock.monotonicNanos()
        if now - malformedLoggedAt > 5_000_000_000 {
            malformedLoggedAt = now
            var head = String(decoding: bytes.prefix(120), as: UTF8.self)
            head = String(head.unicodeScalars.map { $0.value < 0x20 ? "." : Character($0) })
            logger.warning(
                "skipped a frame that is not a readable JSON message",
                metadata: [
                    "capture": "\(name)", "connection": "\(k)", "bytes": "\(bytes.count)", "head": "\(head)",
                    "suppressed": "\(malformedSuppressed)",
                ])
            malformedSuppressed = 0
        } else {
            malformedSuppressed += 1
        }
    }

    // MARK: Streams

    private func sequencer(for frame: ScannedFrame, in bytes: UnsafeRawBufferPointer) -> StreamSequencer {
        let rule = SequenceRule.classify(frame, in: bytes)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { scratch in
            let key = Self.streamKey(frame, rule: rule, bytes: bytes, into: scratch)
            if let last = lastStream, last.keyBytes.elementsEqual(key) { return last }
            var h = Self.fnv1a(key)
            while let existing = streams[h] {
                if existing.keyBytes.elementsEqual(key) {
                    lastStream = existing
                    return existing
                }
                h &+= 1
            }
            let created = StreamSequencer(
                name: Self.streamName(frame, rule: rule, bytes: bytes), rule: rule, keyBytes: Array(key))
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

    private static func streamName(_ frame: ScannedFrame, rule: SequenceRule, bytes: UnsafeRawBufferPointer) -> String {
        func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
        if let stream = frame.stream { return text(stream) }
        let symbol = frame.symbol.map { text($0).lowercased() } ?? "*"
        let kind = frame.eventType.map(text) ?? "\(rule)"
        return "\(symbol)@\(kind)"
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
