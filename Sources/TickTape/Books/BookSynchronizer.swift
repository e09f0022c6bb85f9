/// Binance's documented local-order-book procedure for one symbol, as an explicit state
/// machine that returns actions instead of doing I/O.
///
/// USD-M ("How to manage a local order book correctly"): buffer diffs; get a snapshot; drop
/// buffered diffs with `u < lastUpdateId`; the first applied diff must have
/// `U <= lastUpdateId <= u`; every later diff must have `pu ==` the previous `u`.
/// Spot (`web-socket-streams.md`): drop diffs with `u <= lastUpdateId`; the first applied diff
/// must have `U <= lastUpdateId + 1 <= u`; later, a diff with `u <=` the local id is ignored,
/// one with `U >` local id + 1 means events were missed, anything else is applied (in a
/// merged stream that is `U ==` previous `u` + 1).
///
/// Why it is shaped like this:
/// - Diffs are buffered while a snapshot is in flight, never dropped: dropping them is what
///   makes other tools loop on resyncs in fast markets (UBLDC PR #89).
/// - A snapshot older than every buffered diff cannot be bridged: it is rejected and asked for
///   again (`snapshotTooOld`), keeping the buffer.
/// - The caller feeds the capture's merged stream after the bounded hole wait, so a break seen
///   here is real and costs a resync, while a hole another connection filled never reaches it.
/// - A crossed book after a diff (best bid ≥ best ask) is wrong whatever the ids say: resync.
/// - On every snapshot the book is emptied first, so no stale level survives a resync.
///
/// Buffered diffs live in a ring of reusable ``DepthDiff`` slots, so after warm-up neither
/// buffering nor applying allocates.
package struct BookSynchronizer: Sendable {
    /// Where the book is in the procedure.
    package enum State: Sendable, Equatable {
        /// No diff seen yet; no snapshot asked for.
        case idle
        /// A snapshot was asked for; diffs are buffered until it comes.
        case awaitingSnapshot
        /// A snapshot is loaded and no buffered diff reached past it: the next diff must
        /// bridge `snapshotID`.
        case bridging(snapshotID: Int64)
        /// The book is usable; the last applied diff had `u == lastUpdateID`.
        case synced(lastUpdateID: Int64)
    }

    package let market: BookMarket
    package private(set) var state: State = .idle
    package private(set) var book: OrderBook
    package private(set) var counters = BookSyncCounters()
    /// The most diffs kept while a snapshot is awaited; beyond it the oldest are dropped.
    package let bufferLimit: Int

    private var slots: [DepthDiff] = []
    private var head = 0
    private var bufferCount = 0

    package init(market: BookMarket, bufferLimit: Int = 20_000, reservingLevels: Int = 8192) {
        self.market = market
        self.bufferLimit = max(1, bufferLimit)
        self.book = OrderBook(reservingLevels: reservingLevels)
    }

    /// Whether the book may be read (published).
    package var isSynced: Bool {
        if case .synced = state { return true }
        return false
    }

    /// Diffs waiting for a snapshot.
    package var bufferedCount: Int { bufferCount }

    /// Feeds one depth message of this symbol, in the merged stream's order.
    package mutating func apply(_ diff: DepthDiff) -> BookSyncAction {
        if diff.isSnapshot {
            book.load(levelsOf: diff)
            counters.replaced += 1
            discardBuffer()
            state = .synced(lastUpdateID: diff.finalUpdateID)
            return book.isCrossed ? requestSnapshot(.crossed) : .replaced
        }
        switch state {
        case .idle:
            buffer(diff)
            return requestSnapshot(.initial)
        case .awaitingSnapshot:
            buffer(diff)
            return .buffered
        case .bridging, .synced:
            switch advance(diff) {
            case .applied:
                return book.isCrossed ? requestSnapshot(.crossed) : .applied
            case .stale:
                counters.droppedStale += 1
                return .droppedStale
            case .broken(let reason):
                let action = requestSnapshot(reason)
                buffer(diff)
                return action
            }
        }
    }

    /// Hands over the REST snapshot that a `.needSnapshot` asked for.
    package mutating func applySnapshot(_ snapshot: DepthSnapshot) -> BookSyncAction {
        switch state {
        case .bridging, .synced:
            return .snapshotIgnored
        case .idle, .awaitingSnapshot:
            break
        }
        let id = snapshot.lastUpdateID
        while bufferCount > 0, isStale(slots[head], before: id) {
            dropHead()
            counters.droppedStale += 1
        }
        if bufferCount > 0, !bridges(slots[head], snapshotID: id) {
            counters.snapshotsRejected += 1
            return requestSnapshot(.snapshotTooOld)
        }
        book.load(snapshot)
        counters.snapshotsApplied += 1
        state = .bridging(snapshotID: id)
        while bufferCount > 0 {
            switch advance(slots[head]) {
            case .applied, .stale:
                // (No buffered diff is stale here: the id only grows along a chain.)
                dropHead()
            case .broken(let reason):
                // The failing diff stays buffered: the next snapshot may bridge it.
                return requestSnapshot(reason)
            }
        }
        return book.isCrossed ? requestSnapshot(.crossed) : .snapshotApplied
    }

    /// Marks the book unusable and asks for a snapshot (book disagrees with bookTicker, the
    /// ring to the book thread overflowed, …). Diffs from here on are buffered.
    package mutating func invalidate(_ reason: ResyncReason) -> BookSyncAction {
        discardBuffer()
        return requestSnapshot(reason)
    }

    // MARK: - Rules

    private enum Step {
        case applied
        case stale
        case broken(ResyncReason)
    }

    /// Applies `diff` if it continues the chain from the current state.
    private mutating func advance(_ diff: DepthDiff) -> Step {
        switch state {
        case .bridging(let id):
            if isStale(diff, before: id) { return .stale }
            guard bridges(diff, snapshotID: id) else { return .broken(.noBridge) }
        case .synced(let last):
            if diff.finalUpdateID <= last { return .stale }
            switch market {
            case .usdm:
                guard diff.previousFinalUpdateID == last else { return .broken(.sequenceGap) }
            case .spot:
                guard diff.firstUpdateID <= last + 1 else { return .broken(.sequenceGap) }
            }
        case .idle, .awaitingSnapshot:
            return .broken(.initial)
        }
        book.apply(diff)
        counters.applied += 1
        state = .synced(lastUpdateID: diff.finalUpdateID)
        return .applied
    }

    /// A diff entirely covered by a snapshot with `lastUpdateId == id`.
    private func isStale(_ diff: DepthDiff, before id: Int64) -> Bool {
        switch market {
        case .usdm: diff.finalUpdateID < id
        case .spot: diff.finalUpdateID <= id
        }
    }

    /// Whether `diff` may be the first applied after a snapshot with `lastUpdateId == id`.
    private func bridges(_ diff: DepthDiff, snapshotID id: Int64) -> Bool {
        switch market {
        case .usdm: diff.firstUpdateID <= id && id <= diff.finalUpdateID
        case .spot: diff.firstUpdateID <= id + 1 && id + 1 <= diff.finalUpdateID
        }
    }

    private mutating func requestSnapshot(_ reason: ResyncReason) -> BookSyncAction {
        state = .awaitingSnapshot
        counters.count(reason)
        return .needSnapshot(reason)
    }

    // MARK: - Buffer (a ring of reusable slots)

    private mutating func buffer(_ diff: DepthDiff) {
        if bufferCount == bufferLimit {
            dropHead()
            counters.overflowed += 1
        }
        if bufferCount == slots.count {
            // Grow: re-linearise so the ring is contiguous from 0, then add a slot.
            if head != 0 {
                slots = Array(slots[head...] + slots[..<head])
                head = 0
            }
            slots.append(DepthDiff(reservingLevels: max(diff.bids.count, diff.asks.count)))
        }
        let i = (head + bufferCount) % slots.count
        slots[i].assign(from: diff)
        bufferCount += 1
        counters.buffered += 1
    }

    private mutating func dropHead() {
        head = (head + 1) % slots.count
        bufferCount -= 1
        if bufferCount == 0 { head = 0 }
    }

    private mutating func discardBuffer() {
        head = 0
        bufferCount = 0
    }
}
