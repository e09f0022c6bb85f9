/// What the merger does with one copy of a message.
package enum SequenceDecision: Sendable, Equatable {
    /// First arrival: write it. `gap` names ids the stream's rule proves were skipped.
    case emit(gap: ClosedRange<Int64>?)
    /// A copy of something already emitted: statistics only.
    case duplicate
    /// An id below the last one emitted that was never emitted itself. `first` is true for
    /// the first copy of that id to arrive late.
    case late(first: Bool)
}

/// Dedup and order state of one stream (one symbol of one kind) inside one capture.
///
/// Owned by the merger thread; never shared.
package final class StreamSequencer {
    /// The stream's name as used in logs and gap records (`btcusdt@bookTicker`).
    package let name: String
    /// The rule the stream is sequenced by.
    package let rule: SequenceRule
    /// Whether the rule proves continuity (trade, aggTrade, diff depth): only such a stream's
    /// holes are waited on.
    let continuity: Bool
    /// The key bytes that identify this stream in frames (combined stream name, or event+symbol).
    let keyBytes: [UInt8]
    /// The last id emitted in order, or nil before the first message.
    @exclusivity(unchecked) package private(set) var lastEmitted: Int64?

    @exclusivity(unchecked) private var recent: SortedIDWindow
    @exclusivity(unchecked) private var late: RecentSet
    @exclusivity(unchecked) private var seenContent: RecentSet

    /// Index of this stream in its capture (assigned at creation): the tag of its lines in the
    /// merger's ``OpenLines`` index.
    var slot = -1
    /// The highest id of this stream in a buffer already handed to the writer: a late copy
    /// at or below it can no longer be placed.
    @exclusivity(unchecked) var writtenThrough = Int64.min
    /// Copies held back behind a hole (continuity streams only), ascending by id; see
    /// `StreamSequencer+Holes.swift`.
    @exclusivity(unchecked) var held: [HeldCopy] = []
    /// Monotonic ns since the oldest held copy waits, and that copy's receive stamp.
    @exclusivity(unchecked) var holdingSince: Int64 = 0
    @exclusivity(unchecked) var holdingSinceReceivedAt: Int64 = 0
    /// The newest id each connection (by index) delivered on this stream: a hole that every
    /// connection still up has passed cannot be filled any more.
    @exclusivity(unchecked) var lastIDOn: [Int64] = []
    /// Cumulative merge counts (holes, late copies) for tests, stats and logs.
    @exclusivity(unchecked) package internal(set) var mergeCounts = StreamMergeCounts()

    /// Messages emitted, duplicates seen, late copies and late messages (unique ids).
    @exclusivity(unchecked) package private(set) var emitted = 0
    @exclusivity(unchecked) package private(set) var duplicates = 0
    @exclusivity(unchecked) package private(set) var lateCopies = 0
    @exclusivity(unchecked) package private(set) var lateMessages = 0
    /// Ids proven missing by the rule, summed over all gaps.
    @exclusivity(unchecked) package private(set) var missingIDs: Int64 = 0
    /// After a ``SequenceDecision/duplicate``: the receive stamp of the copy that won, or 0
    /// when it is no longer remembered. Telemetry turns it into the loser's lag.
    @exclusivity(unchecked) package internal(set) var winnerReceivedAt: Int64 = 0
    /// Slot assigned by the capture's telemetry (arrivals sidecar stream index); -1 until seen.
    @exclusivity(unchecked) var telemetrySlot = -1
    /// The capture's outage epoch when this stream last emitted; a different epoch at the next
    /// emit means every connection was down in between (a `disconnect` gap).
    @exclusivity(unchecked) var outageEpoch = 0
    /// Gaps of this stream not yet in the ledger: a late copy may still be placed inside them.
    @exclusivity(unchecked) var pendingGaps = PendingGaps()
    /// Receive stamp of the last emitted copy, the lower bound of a disconnect gap.
    @exclusivity(unchecked) var lastEmittedReceivedAt: Int64 = 0
    /// Receive stamp of this stream's newest copy on each connection (by connection index),
    /// and how long it may be quiet (ns, 0: unwatched): the ``StreamWatchdog``'s inputs.
    @exclusivity(unchecked) var lastSeenOn: [Int64] = []
    var quietLimitNanos: Int64 = 0

    /// Records a copy from connection `index` (every copy, winners and duplicates alike).
    @inline(__always)
    func noteSeen(connection index: Int, at receivedAt: Int64, id: Int64) {
        if index >= lastSeenOn.count {
            lastSeenOn.append(contentsOf: repeatElement(0, count: index + 1 - lastSeenOn.count))
            lastIDOn.append(contentsOf: repeatElement(Int64.min, count: index + 1 - lastIDOn.count))
        }
        lastSeenOn[index] = receivedAt
        if id > lastIDOn[index] { lastIDOn[index] = id }
    }

    init(name: String, rule: SequenceRule, keyBytes: [UInt8], window: Int = 16_384) {
        self.name = name
        self.rule = rule
        self.continuity = rule.detectsGaps
        self.keyBytes = keyBytes
        self.recent = SortedIDWindow(capacity: window)
        self.late = RecentSet(capacity: rule == .content ? 1 : 1024)
        self.seenContent = RecentSet(capacity: rule == .content ? window : 1)
    }

    /// Whether a copy with `id` may have to wait behind a hole: on a continuity stream, it is
    /// the first message (the ones before it may come on another connection), or it is above
    /// the last one emitted and either leaves a hole or joins one being waited on.
    @inline(__always)
    func mayWait(id: Int64, frame: ScannedFrame) -> Bool {
        guard continuity else { return false }
        guard let last = lastEmitted else { return true }
        return id > last && (!held.isEmpty || rule.missingRange(after: last, frame: frame, id: id) != nil)
    }

    /// Takes `id` as the stream's next message in order (from ``decide`` or a released hold).
    @inline(__always)
    func accept(id: Int64, gap: ClosedRange<Int64>?, receivedAt: Int64) {
        if let gap { missingIDs += Int64(gap.count) }
        lastEmitted = id
        recent.append(id, stamp: receivedAt)
        emitted += 1
    }

    /// A late copy was written into the capture (placed, or out of order with `emit`).
    func noteLateWritten() { emitted += 1 }

    /// Decides for a message with exchange id `id` (or content hash for ``SequenceRule/content``)
    /// whose copy was read from its socket at `receivedAt` (ns).
    package func decide(id: Int64, frame: ScannedFrame, policy: LatePolicy, receivedAt: Int64 = 0) -> SequenceDecision {
        if rule == .content {
            if seenContent.insert(id, stamp: receivedAt) {
                emitted += 1
                return .emit(gap: nil)
            }
            winnerReceivedAt = seenContent.stamp(of: id) ?? 0
            duplicates += 1
            return .duplicate
        }
        guard let last = lastEmitted else {
            lastEmitted = id
            recent.append(id, stamp: receivedAt)
            emitted += 1
            return .emit(gap: nil)
        }
        if id > last {
            let gap = rule.missingRange(after: last, frame: frame, id: id)
            accept(id: id, gap: gap, receivedAt: receivedAt)
            return .emit(gap: gap)
        }
        if let slot = recent.slot(of: id) {
            winnerReceivedAt = recent.stamp(atSlot: slot)
            duplicates += 1
            return .duplicate
        }
        if recent.isFull, let oldest = recent.oldest, id < oldest, !late.contains(id) {
            // Older than anything remembered: most likely a straggling duplicate of a message
            // emitted long ago. Treat as duplicate rather than re-emit history. (Before the
            // window has forgotten anything, such an id was never emitted: it is late, e.g. a
            // first message overtaken by its successor on another connection.)
            winnerReceivedAt = 0
            duplicates += 1
            return .duplicate
        }
        lateCopies += 1
        let first = late.insert(id, stamp: receivedAt)
        if first {
            lateMessages += 1
        } else if policy != .drop {
            // Already placed (or written) as a late message once: further copies are duplicates.
            winnerReceivedAt = late.stamp(of: id) ?? 0
            lateCopies -= 1
            duplicates += 1
            return .duplicate
        }
        return .late(first: first)
    }
}
