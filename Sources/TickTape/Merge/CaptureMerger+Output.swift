import Histogram

/// The open buffer: appending first arrivals, placing late copies, and handing buffers over.
extension CaptureMerger {
    /// Appends a line to the open buffer, rolling it over when full; drops and counts it when
    /// no buffer can be had (storage failing for longer than `max_buffered` lasts).
    @inline(__always)
    func appendLine(_ receivedAt: Int64, _ bytes: UnsafeRawBufferPointer, stream: StreamSequencer, id: Int64) {
        if !output.append(receivedAt: receivedAt, payload: bytes, slot: stream.slot, id: id) {
            rollOver(
                minimumFree: LineBuffer.lineSize(payloadCount: bytes.count), keepTail: true,
                now: WallClock.monotonicNanos())
            guard output.append(receivedAt: receivedAt, payload: bytes, slot: stream.slot, id: id) else {
                dropForStorage(receivedAt, stream: stream, id: id)
                return
            }
        }
        if output.lines == 1 { output.startedAt = WallClock.monotonicNanos() }
        statistics.emitted.bump()
        statistics.lastEmittedAt.store(Int(receivedAt), ordering: .relaxed)
    }

    /// A late copy (``SequenceDecision/late(first:)``): counted, and with `late_policy` other
    /// than `"drop"`, put in its place while the lines around it are still in memory.
    /// `coveredIDs`: the ids the copy stands for in a gap (a depth diff's update ids `pu+1...u`
    /// or `U...u`; otherwise just `id`).
    func late(
        _ bytes: UnsafeRawBufferPointer, receivedAt: Int64, stream: StreamSequencer, id: Int64, first: Bool,
        coveredIDs: ClosedRange<Int64>
    ) {
        count(stream) { $0.lateCopies += 1 }
        lastLateAt = WallClock.monotonicNanos()
        guard first, latePolicy != .drop else { return }
        var placed = false
        if id > stream.writtenThrough {
            var result = output.place(receivedAt: receivedAt, payload: bytes, slot: stream.slot, id: id)
            if result == .full {
                rollOver(
                    minimumFree: LineBuffer.lineSize(payloadCount: bytes.count), keepTail: true,
                    now: WallClock.monotonicNanos())
                if id > stream.writtenThrough {
                    result = output.place(receivedAt: receivedAt, payload: bytes, slot: stream.slot, id: id)
                }
            }
            placed = result == .placed
        }
        if placed || latePolicy == .emit, !stream.pendingGaps.isEmpty {
            // In the capture after all: not part of a gap still waiting to be written.
            stream.pendingGaps.fill(coveredIDs, receivedAt: receivedAt)
        }
        if placed {
            count(stream) { $0.latePlaced += 1 }
            statistics.latePlaced.bump()
            stream.noteLateWritten()
            statistics.emitted.bump()
        } else if latePolicy == .emit {
            // Written out of order, as `emit` promises; the manifest's `late_lines` shows it.
            appendLine(receivedAt, bytes, stream: stream, id: id)
            stream.noteLateWritten()
        } else {
            count(stream) { $0.lateDropped += 1 }
            statistics.lateDropped.bump()
        }
        for consumer in consumers { consumer.late(stream: stream.name, id: id, receivedAt: receivedAt, frame: bytes, placed: placed) }
    }

    /// Hands the open buffer to the writer. With `keepTail`, the lines younger than the
    /// placement window (``HoleWaitEstimator/placementNanos``) stay in memory (moved to a fresh buffer) so late copies can still be placed among them;
    /// `minimumFree` is the room the caller needs afterwards.
    func rollOver(minimumFree: Int, keepTail: Bool, now: Int64) {
        let capacity = writer.bufferSize
        var tail = 0
        // Only while late copies come (within 10 s of the last one): a capture whose connections
        // skip nothing writes as early as it did without placement.
        let lateRecently = now - lastLateAt < Self.lateQuietNanos
        if keepTail, lateRecently, latePolicy != .drop, holeWait.placementNanos > 0, output.lines > 0 {
            // Measured against the newest line received (a merger running behind keeps its
            // window), but never more than a flush interval behind the clock.
            let reference = max(newestReceivedAt, WallClock.realtimeNanos() - flushIntervalNanos)
            // At most half a buffer is kept back, the newest lines first.
            tail = output.tailCount(newerThan: reference - holeWait.placementNanos, maxBytes: capacity / 2 - minimumFree)
            if tail == output.lines && minimumFree == 0 { return }  // everything is still young: not due yet
            if tail == output.lines { tail = 0 }
        }
        let needed = max(minimumFree, 1) + output.tailBytes(tail)
        let fresh = writer.acquireBuffer(minimum: needed)
        if let old = output.split(keeping: tail, into: fresh, update: advanceWritten) {
            // An empty one (too small for an oversize line) goes back through the writer's free ring.
            handOver(old)
        }
        if fresh != nil {
            output.startedAt = now
            if dropSpan.isOpen { closeDropSpan() }
        }
    }

    /// How long after the last late copy the newest lines are still kept back.
    static let lateQuietNanos: Int64 = 10_000_000_000

    /// A handed-over line of stream `slot` with `id`: late copies at or below it are too late.
    func advanceWritten(slot: Int32, id: Int64) {
        guard slot >= 0, Int(slot) < streamsBySlot.count else { return }
        let s = streamsBySlot[Int(slot)]
        if id > s.writtenThrough { s.writtenThrough = id }
    }

    /// No buffer: the line is lost to storage, collected into one `storage` ledger entry.
    func dropForStorage(_ receivedAt: Int64, stream: StreamSequencer, id: Int64) {
        statistics.storageDrops.bump()
        dropSpan.add(receivedAt: receivedAt, stream: stream.name, id: stream.rule == .content ? nil : id)
        guard let suppressed = storageDropLog.admit() else { return }
        logger.critical(
            "write buffers exhausted (storage failing); dropping lines",
            metadata: [
                "capture": "\(name)", "dropped_total": "\(statistics.storageDrops.load(ordering: .relaxed))",
                "suppressed": "\(suppressed)",
            ])
    }

    /// Copies the merger-owned figures (hole wait, delay quantiles) into the shared statistics.
    func publishMergeFigures() {
        statistics.holeWaitNanos.store(Int(holeWait.nanos), ordering: .relaxed)
        statistics.heldNow.store(holding.reduce(0) { $0 + $1.held.count }, ordering: .relaxed)
        if fillDelays.totalCount > 0 {
            statistics.fillDelayP50Nanos.store(Int(fillDelays.valueAtPercentile(50)) * 1_000, ordering: .relaxed)
            statistics.fillDelayP99Nanos.store(Int(fillDelays.valueAtPercentile(99)) * 1_000, ordering: .relaxed)
            statistics.fillDelayMaxNanos.store(Int(fillDelayMax), ordering: .relaxed)
        }
        if holdDelays.totalCount > 0 {
            statistics.holdDelayP50Nanos.store(Int(holdDelays.valueAtPercentile(50)) * 1_000, ordering: .relaxed)
            statistics.holdDelayP99Nanos.store(Int(holdDelays.valueAtPercentile(99)) * 1_000, ordering: .relaxed)
            statistics.holdDelayMaxNanos.store(Int(holdDelayMax), ordering: .relaxed)
        }
    }

    /// µs, two significant digits, up to 10 minutes.
    static func delayHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .two)
    }
}
