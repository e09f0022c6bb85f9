/// Holes in continuity streams (trade `t`, aggTrade `a`, USD-M depth `pu`, spot depth `U`):
/// a copy that leaves one is held, with its successors, until another connection fills the
/// hole or `hole_wait` runs out; then everything goes out in order.
///
/// A hole is waited on only while it can still be filled: some connection that is up has not
/// yet delivered an id beyond it (each connection delivers in order, so one that has passed
/// the hole skipped it too), and has not yet delivered anything received `hole_wait` after the
/// hole was noticed. The wait is measured in receive stamps, like the lag it is derived from, so
/// a merger or event loop running behind (a busy machine) does not expire holes whose fill is
/// already on its way; a connection that stops reading altogether is waited for at most
/// ``HoleWaitEstimator/placementNanos`` of merger time.
///
/// A stream's first message is held the same way (a hole of unknown size before it), so that a
/// connection that started the stream earlier can still deliver the messages before it and the
/// stream's rule can check the steps between them.
extension CaptureMerger {
    /// Holds `frame` (id above the last emitted, leaving or joining a hole). Returns false
    /// when nothing can fill the hole, so the caller emits it at once with its gap.
    func hold(
        _ frame: InboundFrame, id: Int64, scanned: ScannedFrame, stream: StreamSequencer, stats: ConnectionStatistics
    ) -> Bool {
        if let existing = stream.held.first(where: { $0.id == id }) {
            // Another copy of one already held.
            stream.winnerReceivedAt = existing.frame.receivedAt
            stats.duplicates.bump()
            holeWait.record(lagNanos: frame.receivedAt &- existing.frame.receivedAt, connection: stats.index)
            telemetry?.record(
                scanned, id: id, receivedAt: frame.receivedAt, connection: stats.index, decision: .duplicate, stream: stream)
            expireHoles(of: stream, now: WallClock.monotonicNanos())
            return true
        }
        let now = WallClock.monotonicNanos()
        if stream.held.isEmpty {
            guard holeWait.nanos > 0, canFill(stream, below: id, deadline: frame.receivedAt &+ holeWait.nanos) else {
                return false
            }
            stream.holdingSince = now
            stream.holdingSinceReceivedAt = frame.receivedAt
            holding.append(stream)
        } else if let last = stream.lastEmitted,
            stream.rule.missingRange(after: last, frame: scanned, id: id) == nil
        {
            // Continues the last emitted message: it fills the hole at the front.
            let delay = max(0, frame.receivedAt &- stream.holdingSinceReceivedAt)
            count(stream) {
                $0.holesFilled += 1
                $0.fillDelays.append(delay)
            }
            statistics.holesFilled.bump()
            stats.holesFilled.bump()
            fillDelays.record(UInt64(min(delay / 1_000, 600_000_000)))
            fillDelayMax = max(fillDelayMax, delay)
        }
        let copy = HeldCopy(
            frame: frame, id: id, firstUpdateID: scanned.firstUpdateID, previousUpdateID: scanned.previousUpdateID,
            connection: stats, heldAt: now)
        var at = stream.held.count
        while at > 0, stream.held[at - 1].id > id { at -= 1 }
        stream.held.insert(copy, at: at)
        statistics.heldCopies.bump()
        telemetry?.record(
            scanned, id: id, receivedAt: frame.receivedAt, connection: stats.index, decision: .emit(gap: nil),
            stream: stream)
        release(stream, now: now)
        if !stream.held.isEmpty { expireHoles(of: stream, now: now) }
        return true
    }

    /// Whether a connection that is up may still deliver an id below `id` on this stream before
    /// receive time `deadline`: it has neither passed `id` nor delivered anything received at
    /// or after `deadline` (it reads in order, so the fill would have come first).
    func canFill(_ stream: StreamSequencer, below id: Int64, deadline: Int64) -> Bool {
        for k in connections.indices {
            let c = connections[k]
            guard c.connected.load(ordering: .relaxed) else { continue }
            let i = c.index
            let passed = i < stream.lastIDOn.count && stream.lastIDOn[i] >= id
            let late = k < lastFrameAt.count && lastFrameAt[k] >= deadline
            if !passed && !late { return true }
        }
        return false
    }

    /// Emits the held copies that now continue the stream, in order.
    func release(_ stream: StreamSequencer, now: Int64) {
        while let head = stream.held.first, let last = stream.lastEmitted,
            stream.rule.missingRange(
                after: last, id: head.id, firstUpdateID: head.firstUpdateID, previousUpdateID: head.previousUpdateID)
                == nil
        {
            stream.held.removeFirst()
            emitHeld(head, gap: nil, stream: stream, now: now)
        }
        restartHold(stream)
    }

    /// After a release: the wait restarts from the oldest copy still held, or the stream stops holding.
    private func restartHold(_ stream: StreamSequencer) {
        if stream.held.isEmpty {
            holding.removeAll { $0 === stream }
            return
        }
        var since = Int64.max
        var sinceReceived = Int64.max
        for h in stream.held {
            since = min(since, h.heldAt)
            sinceReceived = min(sinceReceived, h.frame.receivedAt)
        }
        stream.holdingSince = since
        stream.holdingSinceReceivedAt = sinceReceived
    }

    /// Gives up the hole at the front of `stream` when its wait ran out or nothing can fill it
    /// any more: the missing ids become a ledger gap and the held copies go out.
    /// With `all`, every hole goes (at stop).
    func expireHoles(of stream: StreamSequencer, now: Int64, all: Bool = false) {
        while let head = stream.held.first,
            all || now - stream.holdingSince >= holeWait.placementNanos
                || !canFill(stream, below: head.id, deadline: stream.holdingSinceReceivedAt &+ holeWait.nanos)
        {
            stream.held.removeFirst()
            let gap = stream.lastEmitted.flatMap {
                stream.rule.missingRange(
                    after: $0, id: head.id, firstUpdateID: head.firstUpdateID, previousUpdateID: head.previousUpdateID)
            }
            if stream.lastEmitted != nil {
                count(stream) { $0.holesExpired += 1 }
                statistics.holesExpired.bump()
            }
            emitHeld(head, gap: gap, stream: stream, now: now)
            release(stream, now: now)
        }
    }

    /// Every stream's front hole, against the clock (each poll while anything is held).
    func checkHoles(now: Int64) {
        for stream in holding { expireHoles(of: stream, now: now) }
    }

    /// At stop: nothing more will come; every hole is a gap.
    func releaseAllHolds() {
        let now = WallClock.monotonicNanos()
        for stream in holding { expireHoles(of: stream, now: now, all: true) }
    }

    private func emitHeld(_ copy: HeldCopy, gap: ClosedRange<Int64>?, stream: StreamSequencer, now: Int64) {
        let previous = stream.lastEmitted
        stream.accept(id: copy.id, gap: gap, receivedAt: copy.frame.receivedAt)
        copy.connection.wins.bump()
        let waited = max(0, now - copy.heldAt)
        holdDelays.record(UInt64(min(waited / 1_000, 600_000_000)))
        holdDelayMax = max(holdDelayMax, waited)
        copy.frame.payload.withUnsafeReadableBytes { bytes in
            emitLine(bytes, receivedAt: copy.frame.receivedAt, stream: stream, id: copy.id, previous: previous, gap: gap)
        }
    }
}
