import Foundation
import Testing

@testable import TickTape

/// Issue #13: on the recordings (USD-M depth@0ms with its REST snapshot, spot depth@100ms with
/// its snapshot), the engine's book equals the tests' independent rebuild (``NaiveBook``) at
/// regular diff counts and at the end: 0 differing levels.
@Suite struct BookAgainstIndependentRebuildTests {
    struct Outcome {
        var comparisons = 0
        var differing = 0
        var diffs = 0
        var counters = BookSyncCounters()
        var unordered = 0
    }

    func replay(_ lines: RecordedLines, market: BookMarket, every: Int) -> Outcome {
        var engine = BookRebuilder(symbol: "BTCUSDT", market: market)
        var naive = NaiveBook(market: market == .usdm ? .usdm : .spot)
        var out = Outcome()
        func compare(_ book: OrderBook) {
            let bids = book.levels(bid: true).map { ($0.price.description, $0.quantity.description) }
            let asks = book.levels(bid: false).map { ($0.price.description, $0.quantity.description) }
            out.differing += NaiveBook.differences(bids, naive.bids) + NaiveBook.differences(asks, naive.asks)
            // Best first: bids strictly descending, asks strictly ascending.
            out.unordered += zip(bids, bids.dropFirst()).filter { !NaiveBook.less($1.0, $0.0) }.count
            out.unordered += zip(asks, asks.dropFirst()).filter { !NaiveBook.less($0.0, $1.0) }.count
            out.comparisons += 1
        }
        for line in lines.lines {
            var s = line.frame
            _ = s.withUTF8 { engine.feed(UnsafeRawBufferPointer($0)) }
            if naive.feed(line.frame) {
                out.diffs += 1
                if out.diffs % every == 0, naive.isSynced, let sync = engine.synchronizer, sync.isSynced {
                    compare(sync.book)
                }
            }
        }
        if let sync = engine.synchronizer, sync.isSynced, naive.isSynced { compare(sync.book) }
        out.counters = engine.synchronizer?.counters ?? BookSyncCounters()
        return out
    }

    @Test func usdmFixtureMatchesEvery100thDiff() throws {
        let lines = try RecordedLines(path: RecordedLines.fixturePath("usdm_btcusdt_depth_trades"), keep: RecordedLines.isBookLine)
        let out = replay(lines, market: .usdm, every: 100)
        #expect(out.diffs == 773)
        #expect(out.comparisons == 8)
        #expect(out.differing == 0)
        #expect(out.unordered == 0)
        #expect(out.counters.resyncs == 0)
        #expect(out.counters.snapshotsApplied == 1)
        // 6 diffs were buffered before the snapshot; those it covers were dropped.
        #expect(out.counters.buffered == 6)
        #expect(out.counters.applied + out.counters.droppedStale == 773)
    }

    @Test func spotFixtureMatchesEvery100thDiff() throws {
        let lines = try RecordedLines(path: RecordedLines.fixturePath("spot_btcusdt_depth_trades"), keep: RecordedLines.isBookLine)
        let out = replay(lines, market: .spot, every: 100)
        #expect(out.diffs == 1220)
        #expect(out.comparisons == 13)
        #expect(out.differing == 0)
        #expect(out.unordered == 0)
        #expect(out.counters.resyncs == 0)
        #expect(out.counters.snapshotsApplied == 1)
        #expect(out.counters.applied + out.counters.droppedStale == 1220)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: RecordedLines.sharedUSDM)))
    func usdmFullRecordingMatchesEvery1000thDiff() throws {
        let lines = try RecordedLines(path: RecordedLines.sharedUSDM, keep: RecordedLines.isBookLine)
        let out = replay(lines, market: .usdm, every: 1000)
        #expect(out.diffs == 6551)
        #expect(out.comparisons == 7)
        #expect(out.differing == 0)
        #expect(out.unordered == 0)
        #expect(out.counters.resyncs == 0)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: RecordedLines.sharedSpot)))
    func spotFullRecordingMatchesEvery1000thDiff() throws {
        let lines = try RecordedLines(path: RecordedLines.sharedSpot, keep: RecordedLines.isBookLine)
        let out = replay(lines, market: .spot, every: 1000)
        #expect(out.diffs == 3451)
        #expect(out.comparisons == 4)
        #expect(out.differing == 0)
        #expect(out.unordered == 0)
        #expect(out.counters.resyncs == 0)
    }
}
