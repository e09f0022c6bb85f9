import Synchronization

/// The last ``capacity`` trades of every symbol, newest last, written by the book thread and
/// read by the serving side (`GET /api/v1/trades`, the status page's trade list).
///
/// Why not the seqlock of ``LatestTickStore``: a reader wants a run of consecutive trades,
/// not one record, and a seqlock over a ring would make it retry whenever a trade lands. A
/// mutex per symbol is held for one fixed-size copy (the writer: one ``TradePrint`` into a
/// preallocated ring, no allocation; a reader: at most ``capacity`` of them), so the book
/// thread waits at most that long, and only while someone is reading that symbol (about once
/// a second per open page).
package final class RecentTrades: Sendable {
    /// Trades kept per symbol.
    package static let capacity = 64

    private struct Ring {
        var prints: [TradePrint]
        /// Trades written so far (the next slot is `written % capacity`).
        var written = 0

        init() { prints = Array(repeating: TradePrint(), count: RecentTrades.capacity) }
    }

    /// A symbol's ring behind its own lock (a `Mutex` cannot be an array element itself).
    private final class Slot: Sendable {
        let ring = Mutex(Ring())
    }

    private let rings: [Slot]

    /// One ring per slot of `ticks` (the same symbol slots).
    package init(slots: Int) {
        rings = (0..<max(0, slots)).map { _ in Slot() }
    }

    /// Appends `print` to `slot`'s ring (book thread only; never allocates).
    package func record(_ print: TradePrint, slot: Int) {
        rings[slot].ring.withLock { ring in
            ring.prints[ring.written % Self.capacity] = print
            ring.written &+= 1
        }
    }

    /// Up to `limit` of `slot`'s latest trades, newest first.
    package func latest(slot: Int, limit: Int) -> [TradePrint] {
        rings[slot].ring.withLock { ring in
            let n = min(limit, ring.written, Self.capacity)
            return (0..<n).map { ring.prints[(ring.written - 1 - $0) % Self.capacity] }
        }
    }
}
