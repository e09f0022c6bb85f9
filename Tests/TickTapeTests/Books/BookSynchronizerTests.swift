import Testing

@testable import TickTape

/// The bridge and continuity rules of Binance's documented procedure, case by case.
@Suite struct BookSynchronizerTests {
    static func diff(
        _ U: Int64, _ u: Int64, pu: Int64? = nil, bids: [(String, String)] = [], asks: [(String, String)] = []
    ) -> DepthDiff {
        var d = DepthDiff(reservingLevels: 4)
        d.firstUpdateID = U
        d.finalUpdateID = u
        d.previousFinalUpdateID = pu
        d.bids = bids.map { PriceLevel(price: FixedDecimal($0.0)!, quantity: FixedDecimal($0.1)!) }
        d.asks = asks.map { PriceLevel(price: FixedDecimal($0.0)!, quantity: FixedDecimal($0.1)!) }
        return d
    }

    static func snapshot(_ id: Int64, bids: [(String, String)] = [("100.00", "1.000")], asks: [(String, String)] = [("101.00", "1.000")])
        -> DepthSnapshot
    {
        DepthSnapshot(
            lastUpdateID: id, bids: bids.map { PriceLevel(price: FixedDecimal($0.0)!, quantity: FixedDecimal($0.1)!) },
            asks: asks.map { PriceLevel(price: FixedDecimal($0.0)!, quantity: FixedDecimal($0.1)!) })
    }

    // MARK: USD-M

    @Test func usdmBuffersWhileTheSnapshotIsInFlightDropsStaleAndBridges() {
        var s = BookSynchronizer(market: .usdm)
        #expect(s.apply(Self.diff(90, 95, pu: 89)) == .needSnapshot(.initial))
        #expect(s.apply(Self.diff(96, 99, pu: 95)) == .buffered)
        #expect(s.apply(Self.diff(100, 104, pu: 99, bids: [("100.50", "2.000")])) == .buffered)
        #expect(s.apply(Self.diff(105, 110, pu: 104, asks: [("101.00", "0.000")])) == .buffered)
        #expect(s.state == .awaitingSnapshot)
        #expect(!s.isSynced)
        // lastUpdateId 100: u < 100 dropped (95, 99); 100...104 bridges it (U <= 100 <= u).
        #expect(s.applySnapshot(Self.snapshot(100, asks: [("101.00", "1.000"), ("102.00", "3.000")])) == .snapshotApplied)
        #expect(s.state == .synced(lastUpdateID: 110))
        #expect(s.counters.droppedStale == 2)
        #expect(s.counters.applied == 2)
        #expect(s.book.bestBid == PriceLevel(price: FixedDecimal("100.50")!, quantity: FixedDecimal("2.000")!))
        #expect(s.book.bestAsk?.price == FixedDecimal("102.00"))
        #expect(s.apply(Self.diff(111, 112, pu: 110)) == .applied)
    }

    @Test func usdmBridgeIsInclusiveAtBothEnds() {
        for (U, u) in [(Int64(100), Int64(105)), (95, 100)] {
            var s = BookSynchronizer(market: .usdm)
            _ = s.apply(Self.diff(U, u, pu: U - 1))
            #expect(s.applySnapshot(Self.snapshot(100)) == .snapshotApplied, "U=\(U) u=\(u)")
            #expect(s.state == .synced(lastUpdateID: u))
        }
    }

    @Test func usdmPuBreakAsksForASnapshotAndKeepsBuffering() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(100, 105, pu: 99))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.apply(Self.diff(107, 110, pu: 106)) == .needSnapshot(.sequenceGap))
        #expect(!s.isSynced)
        #expect(s.bufferedCount == 1)
        #expect(s.apply(Self.diff(111, 115, pu: 110)) == .buffered)
        #expect(s.applySnapshot(Self.snapshot(112)) == .snapshotApplied)
        #expect(s.state == .synced(lastUpdateID: 115))
        #expect(s.counters.resyncs(.sequenceGap) == 1)
        #expect(s.counters.resyncs == 1)
    }

    @Test func aSnapshotOlderThanTheBufferIsRequestedAgainAndTheBufferKept() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(200, 205, pu: 199))
        _ = s.apply(Self.diff(206, 210, pu: 205))
        #expect(s.applySnapshot(Self.snapshot(150)) == .needSnapshot(.snapshotTooOld))
        #expect(s.bufferedCount == 2)
        #expect(s.counters.snapshotsRejected == 1)
        #expect(s.applySnapshot(Self.snapshot(207)) == .snapshotApplied)
        #expect(s.state == .synced(lastUpdateID: 210))
    }

    @Test func aSnapshotBeyondTheBufferWaitsForTheBridgingDiff() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(90, 95, pu: 89))
        #expect(s.applySnapshot(Self.snapshot(120)) == .snapshotApplied)
        #expect(s.state == .bridging(snapshotID: 120))
        #expect(!s.isSynced)
        #expect(s.apply(Self.diff(96, 119, pu: 95)) == .droppedStale)
        #expect(s.apply(Self.diff(120, 125, pu: 119)) == .applied)
        #expect(s.isSynced)
    }

    @Test func aDiffThatSkipsPastTheSnapshotIsNoBridge() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(90, 95, pu: 89))
        _ = s.applySnapshot(Self.snapshot(120))
        #expect(s.apply(Self.diff(121, 125, pu: 120)) == .needSnapshot(.noBridge))
    }

    @Test func aCrossedBookAsksForASnapshot() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(100, 101, pu: 99))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.apply(Self.diff(102, 103, pu: 101, bids: [("101.00", "0.500")])) == .needSnapshot(.crossed))
        #expect(!s.isSynced)
        #expect(s.counters.resyncs(.crossed) == 1)
    }

    @Test func removingAnAbsentLevelIsNormal() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(100, 101, pu: 99))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.apply(Self.diff(102, 103, pu: 101, bids: [("99.00", "0.000"), ("100.00", "0.000")], asks: [("150.00", "0.000")])) == .applied)
        #expect(s.book.bids.count == 0)
        #expect(s.book.asks.count == 1)
        #expect(s.isSynced)
        #expect(s.counters.resyncs == 0)
    }

    @Test func aResyncEmptiesTheOldBook() {
        var s = BookSynchronizer(market: .usdm)
        _ = s.apply(Self.diff(100, 101, pu: 99, bids: [("90.00", "5.000")]))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.book.bids.count == 2)
        _ = s.invalidate(.external)
        _ = s.apply(Self.diff(300, 301, pu: 299))
        #expect(s.applySnapshot(Self.snapshot(300)) == .snapshotApplied)
        #expect(s.book.bids.count == 1)  // the 90.00 level did not survive
        #expect(s.counters.resyncs(.external) == 1)
    }

    // MARK: Spot

    @Test func spotDropsUpToAndIncludingTheSnapshotIdAndBridgesAtIdPlusOne() {
        var s = BookSynchronizer(market: .spot)
        #expect(s.apply(Self.diff(90, 100)) == .needSnapshot(.initial))
        _ = s.apply(Self.diff(101, 104, bids: [("100.10", "1.000")]))
        // u <= 100 dropped; 101...104 contains 101 = lastUpdateId + 1.
        #expect(s.applySnapshot(Self.snapshot(100)) == .snapshotApplied)
        #expect(s.counters.droppedStale == 1)
        #expect(s.state == .synced(lastUpdateID: 104))
        #expect(s.apply(Self.diff(105, 107)) == .applied)
    }

    @Test func spotDiffStartingAtTheSnapshotIdDoesNotBridgeIfItEndsThere() {
        var s = BookSynchronizer(market: .spot)
        _ = s.apply(Self.diff(98, 100))
        _ = s.apply(Self.diff(102, 104))
        // 98...100 is covered (u <= 100); 102 > 101: the snapshot is too old for the buffer.
        #expect(s.applySnapshot(Self.snapshot(100)) == .needSnapshot(.snapshotTooOld))
    }

    @Test func spotUGapAsksForASnapshot() {
        var s = BookSynchronizer(market: .spot)
        _ = s.apply(Self.diff(101, 104))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.apply(Self.diff(106, 110)) == .needSnapshot(.sequenceGap))
        #expect(s.counters.resyncs(.sequenceGap) == 1)
    }

    @Test func spotOldDiffIsIgnored() {
        var s = BookSynchronizer(market: .spot)
        _ = s.apply(Self.diff(101, 104))
        _ = s.applySnapshot(Self.snapshot(100))
        #expect(s.apply(Self.diff(103, 104)) == .droppedStale)
        #expect(s.isSynced)
    }

    @Test func aPartialDepthMessageReplacesTheBook() {
        var s = BookSynchronizer(market: .spot)
        var d = Self.diff(500, 500, bids: [("10.00", "1.00")], asks: [("11.00", "2.00")])
        d.isSnapshot = true
        #expect(s.apply(d) == .replaced)
        #expect(s.state == .synced(lastUpdateID: 500))
        #expect(s.book.depthJSON() == #"{"lastUpdateId":500,"bids":[["10.00","1.00"]],"asks":[["11.00","2.00"]]}"#)
    }

    @Test func aBufferBeyondItsLimitDropsTheOldest() {
        var s = BookSynchronizer(market: .usdm, bufferLimit: 3)
        for i in Int64(0)..<5 { _ = s.apply(Self.diff(100 + 10 * i, 109 + 10 * i, pu: 99 + 10 * i)) }
        #expect(s.bufferedCount == 3)
        #expect(s.counters.overflowed == 2)
        // The oldest left starts at 120.
        #expect(s.applySnapshot(Self.snapshot(115)) == .needSnapshot(.snapshotTooOld))
        #expect(s.applySnapshot(Self.snapshot(125)) == .snapshotApplied)
        #expect(s.state == .synced(lastUpdateID: 149))
    }
}
