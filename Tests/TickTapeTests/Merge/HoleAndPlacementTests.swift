import Foundation
import Logging
import NIOCore
import Testing

@testable import TickTape

/// The merger's two completeness mechanisms, driven frame by frame with explicit receive stamps
/// and an explicit clock (`checkHoles(now:)`), so every ordering is deterministic:
/// holes in continuity streams wait for another connection, late copies are placed in id order.
@Suite(.serialized) struct HoleAndPlacementTests {
    /// A merger over `connections` connected slots writing to a temporary directory.
    final class Rig {
        let dir: TemporaryDirectory
        let writer: SegmentWriter
        let stats: [ConnectionStatistics]
        let merger: CaptureMerger
        var stamp: Int64 = 1_700_000_000_000_000_000

        init(connections: Int = 2, holeWait: HoleWait = .fixed(.milliseconds(5)), policy: LatePolicy = .place) throws {
            dir = try TemporaryDirectory()
            writer = try SegmentWriter(
                capture: "c", dataDirectory: dir.path, storage: StorageConfig(flushInterval: .milliseconds(100)),
                logger: testLogger)
            writer.start()
            stats = (0..<connections).map { ConnectionStatistics(index: $0) }
            for s in stats {
                s.connected.store(true, ordering: .relaxed)
                s.links.store(1, ordering: .relaxed)
            }
            merger = CaptureMerger(
                name: "c", rings: stats.map { _ in SPSCRing(capacity: 64) }, connections: stats, writer: writer,
                latePolicy: policy, holeWait: holeWait, flushInterval: .milliseconds(100), logger: testLogger)
        }

        /// Feeds one frame as read by connection `k`, 10 µs after the previous one.
        func feed(_ frame: String, from k: Int) {
            stamp += 10_000
            var buffer = ByteBufferAllocator().buffer(capacity: frame.utf8.count)
            buffer.writeString(frame)
            merger.process(InboundFrame(receivedAt: stamp, payload: buffer), from: k)
        }

        /// Stops and returns the capture's frames and its ledger.
        func finish() async throws -> (frames: [String], gaps: [String]) {
            merger.flushNow()
            await writer.finish()
            defer { dir.cleanup() }
            let frames = try readCaptureLines("\(dir.path)/c").map { try #require(splitLine($0)).1 }
            let ledger = (try? String(contentsOfFile: "\(dir.path)/c/gaps.jsonl", encoding: .utf8)) ?? ""
            return (frames, ledger.split(separator: "\n").map(String.init))
        }

        func stream(_ name: String) -> StreamSequencer? { merger.sequencers.first { $0.name == name } }

        /// Starts a stream with `frame` delivered by every connection (a stream's first message
        /// waits until no connection can still deliver earlier ones).
        func prime(_ frame: String) {
            for k in stats.indices { feed(frame, from: k) }
        }
    }

    static func trade(_ t: Int64) -> String {
        #"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":\#(t),"p":"1.0","q":"1","m":false}}"#
    }

    static func depth(U: Int64, u: Int64, pu: Int64) -> String {
        #"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":\#(U),"u":\#(u),"pu":\#(pu),"b":[],"a":[]}}"#
    }

    static func book(_ u: Int64) -> String {
        #"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":\#(u),"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1","T":1,"E":1}}"#
    }

    @Test func aTradeHoleOnTheFastConnectionIsFilledFromTheSlowOneInOrderWithoutAGap() async throws {
        let rig = try Rig()
        rig.prime(Self.trade(1))
        for t: Int64 in [2, 4, 5] { rig.feed(Self.trade(t), from: 0) }  // connection 0 skipped 3
        let s = try #require(rig.stream("btcusdt@trade"))
        #expect(s.lastEmitted == 2, "4 and 5 wait for 3")
        #expect(s.held.map(\.id) == [4, 5])
        for t: Int64 in [2, 3] { rig.feed(Self.trade(t), from: 1) }
        #expect(s.lastEmitted == 5 && s.held.isEmpty, "3 filled the hole and released its successors")
        #expect(s.mergeCounts.holesFilled == 1 && s.mergeCounts.holesExpired == 0)
        #expect(rig.stats[1].holesFilled.load(ordering: .relaxed) == 1, "the slow connection gets the credit")
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [1, 2, 3, 4, 5].map(Self.trade))
        #expect(gaps.isEmpty, "no id any connection delivered is in the ledger")
    }

    @Test func aHoleEveryConnectionSkippedBecomesAGapAsSoonAsAllHavePassedIt() async throws {
        let rig = try Rig()
        rig.prime(Self.trade(1))
        for t: Int64 in [2, 4] { rig.feed(Self.trade(t), from: 0) }
        let s = try #require(rig.stream("btcusdt@trade"))
        #expect(s.held.count == 1)
        rig.feed(Self.trade(2), from: 1)
        #expect(s.held.count == 1, "connection 1 may still deliver 3")
        rig.feed(Self.trade(4), from: 1)
        #expect(s.held.isEmpty && s.lastEmitted == 4, "connection 1 passed 3 too: nobody can fill it, no waiting")
        #expect(s.mergeCounts.holesExpired == 1)
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [1, 2, 4].map(Self.trade))
        #expect(gaps.count == 1 && gaps[0].contains(#""first_missing":3"#) && gaps[0].contains(#""last_missing":3"#))
    }

    @Test func aHoleExpiresOnceTheOtherConnectionDeliversWhatArrivedHoleWaitLater() async throws {
        let rig = try Rig(holeWait: .fixed(.milliseconds(5)))
        rig.prime(Self.trade(1))
        for t: Int64 in [2, 4, 5] { rig.feed(Self.trade(t), from: 0) }
        let s = try #require(rig.stream("btcusdt@trade"))
        let heldAt = try #require(s.held.first?.heldAt)
        rig.feed(Self.book(10), from: 1)
        rig.merger.checkHoles(now: heldAt + 1_000)  // what every poll does; merger time is not the reason here
        #expect(s.held.count == 2, "connection 1 is 10 µs behind: 3 may still come")
        rig.stamp += 5_000_000
        rig.feed(Self.book(20), from: 1)
        rig.merger.checkHoles(now: heldAt + 1_000)
        #expect(s.held.isEmpty && s.lastEmitted == 5, "connection 1 read a frame 5 ms after the hole and no 3 before it")
        _ = try await rig.finish()
    }

    /// A connection that reads nothing at all is waited for at most 4 × hole_wait (20 ms at least) of merger time.
    @Test func aSilentConnectionIsWaitedForBoundedly() async throws {
        let rig = try Rig(holeWait: .fixed(.milliseconds(5)))
        rig.prime(Self.trade(1))
        for t: Int64 in [2, 4, 5] { rig.feed(Self.trade(t), from: 0) }  // connection 1 silent
        let s = try #require(rig.stream("btcusdt@trade"))
        let heldAt = try #require(s.held.first?.heldAt)
        rig.merger.checkHoles(now: heldAt + 19_000_000)
        #expect(s.held.count == 2, "still within the bound")
        rig.merger.checkHoles(now: heldAt + 20_000_000)
        #expect(s.held.isEmpty && s.lastEmitted == 5, "expired: the successors go out")
        rig.feed(Self.trade(3), from: 1)  // the copy comes after all: counted late, placed in order
        #expect(s.mergeCounts.latePlaced == 1)
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [1, 2, 3, 4, 5].map(Self.trade), "a late copy whose place is still in memory is placed")
        #expect(gaps.isEmpty, "the ledger names nothing the capture holds: the placed copy filled the expired hole")
    }

    @Test func noWaitWhenNoOtherConnectionIsUp() async throws {
        let rig = try Rig()
        rig.stats[1].connected.store(false, ordering: .relaxed)
        for t: Int64 in [1, 2, 4] { rig.feed(Self.trade(t), from: 0) }
        let s = try #require(rig.stream("btcusdt@trade"))
        #expect(s.held.isEmpty && s.lastEmitted == 4, "nobody could fill it: emitted at once with its gap")
        _ = try await rig.finish()
    }

    @Test func aDepthChainHoleIsFilledByPu() async throws {
        let rig = try Rig()
        rig.prime(Self.depth(U: 100, u: 110, pu: 99))
        rig.feed(Self.depth(U: 121, u: 130, pu: 120), from: 0)  // skipped 111…120
        let s = try #require(rig.stream("btcusdt@depth@0ms"))
        #expect(s.lastEmitted == 110 && s.held.count == 1)
        rig.feed(Self.depth(U: 111, u: 120, pu: 110), from: 1)
        #expect(s.lastEmitted == 130 && s.held.isEmpty)
        let (frames, gaps) = try await rig.finish()
        #expect(
            frames == [
                Self.depth(U: 100, u: 110, pu: 99), Self.depth(U: 111, u: 120, pu: 110), Self.depth(U: 121, u: 130, pu: 120),
            ])
        #expect(gaps.isEmpty)
    }

    /// A stream's first message taken from a connection that skipped the ones before it: the
    /// earlier copies come late and are placed, and a message nobody delivered between them is a gap.
    @Test func copiesBelowTheFirstMergedIdAreCheckedForContinuityToo() async throws {
        let rig = try Rig()
        rig.feed(Self.trade(5), from: 0)  // first trade seen: 5, held
        let s = try #require(rig.stream("btcusdt@trade"))
        #expect(s.lastEmitted == nil && s.held.count == 1, "connection 1 may hold the ones before it")
        rig.feed(Self.trade(2), from: 1)  // connection 1 started earlier: 2 and 4, never 3
        rig.feed(Self.trade(4), from: 1)
        rig.feed(Self.trade(5), from: 1)
        #expect(s.held.isEmpty && s.lastEmitted == 5, "both passed 5: the first is 2, then 4 (gap 3), then 5")
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [2, 4, 5].map(Self.trade))
        #expect(gaps.count == 1, "\(gaps)")
        #expect(gaps.first?.contains(#""first_missing":3,"last_missing":3"#) == true, "\(gaps)")
    }

    @Test func aLateBookTickerIsPlacedInIdOrderAmongLinesStillInMemory() async throws {
        let rig = try Rig()
        for u: Int64 in [10, 30, 40] { rig.feed(Self.book(u), from: 0) }
        rig.feed(Self.trade(1), from: 0)
        rig.feed(Self.book(20), from: 1)  // connection 0 skipped 20: late, placed before 30
        rig.feed(Self.book(20), from: 0)  // another copy: a duplicate now
        let s = try #require(rig.stream("btcusdt@bookTicker"))
        #expect(s.mergeCounts.lateCopies == 1 && s.mergeCounts.latePlaced == 1 && s.mergeCounts.lateDropped == 0)
        let (frames, _) = try await rig.finish()
        #expect(frames == [Self.book(10), Self.book(20), Self.book(30), Self.book(40), Self.trade(1)])
    }

    @Test func aLateCopyWhosePlaceWasHandedOverIsDroppedAndCounted() async throws {
        let rig = try Rig(holeWait: .fixed(.zero))
        for u: Int64 in [10, 30] { rig.feed(Self.book(u), from: 0) }
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 1_000_000_000)  // flush interval passed
        rig.feed(Self.book(20), from: 1)
        let s = try #require(rig.stream("btcusdt@bookTicker"))
        #expect(s.mergeCounts.lateDropped == 1 && s.mergeCounts.latePlaced == 0)
        #expect(rig.merger.statistics.lateDropped.load(ordering: .relaxed) == 1)
        let (frames, _) = try await rig.finish()
        #expect(frames == [Self.book(10), Self.book(30)], "the file stays strictly increasing")
    }

    @Test func aHandOverKeepsTheNewestLinesBackForLateCopies() async throws {
        let rig = try Rig(holeWait: .fixed(.seconds(1)))
        for u: Int64 in [10, 30] { rig.feed(Self.book(u), from: 0) }
        // Stamps are from 2023: older than the hold-back horizon, so the first hand-over takes them.
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 1_000_000_000)
        rig.stamp = WallClock.realtimeNanos()
        for u: Int64 in [50, 70] { rig.feed(Self.book(u), from: 0) }
        rig.feed(Self.book(40), from: 1)  // a late copy: from now on the newest lines are kept back
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 2_000_000_000)
        #expect(rig.merger.output.lines == 3, "lines younger than the window stay in memory")
        rig.feed(Self.book(60), from: 1)
        rig.feed(Self.book(20), from: 1)
        let s = try #require(rig.stream("btcusdt@bookTicker"))
        #expect(s.mergeCounts.latePlaced == 2 && s.mergeCounts.lateDropped == 1)
        let (frames, _) = try await rig.finish()
        #expect(frames == [10, 30, 40, 50, 60, 70].map(Self.book))
    }

    /// Without late copies for 10 s the hold-back stops: lines reach the writer as early as before.
    @Test func withoutLateCopiesNothingIsKeptBack() async throws {
        let rig = try Rig(holeWait: .fixed(.seconds(1)))
        rig.stamp = WallClock.realtimeNanos()
        for u: Int64 in [10, 30] { rig.feed(Self.book(u), from: 0) }
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 1_000_000_000)
        #expect(rig.merger.output.lines == 0, "no late copy yet: everything goes out at the flush")
        for u: Int64 in [50, 70] { rig.feed(Self.book(u), from: 0) }
        rig.feed(Self.book(60), from: 1)
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 2_000_000_000)
        #expect(rig.merger.output.lines == 3, "late copies come: young lines are kept back")
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 13_000_000_000)
        #expect(rig.merger.output.lines == 0, "ten quiet seconds later they go out at the flush")
        _ = try await rig.finish()
    }

    @Test func thePolicyDropKeepsFirstArrivalsOnly() async throws {
        let rig = try Rig(policy: .drop)
        for u: Int64 in [10, 30] { rig.feed(Self.book(u), from: 0) }
        rig.feed(Self.book(20), from: 1)
        let (frames, _) = try await rig.finish()
        #expect(frames == [Self.book(10), Self.book(30)])
    }

    @Test func theMergedStreamConsumerSeesOrderedMessagesAndFlaggedLateCopies() async throws {
        final class Collect: MergedStreamConsumer {
            var merged: [Int64] = []
            var late: [(Int64, Bool)] = []
            var gaps = 0
            func merged(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer) { merged.append(id) }
            func late(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer, placed: Bool) {
                late.append((id, placed))
            }
            func gap(_ record: GapRecord) { gaps += 1 }
        }
        let rig = try Rig()
        let consumer = Collect()
        rig.merger.consumers = [consumer]
        for u: Int64 in [10, 30] { rig.feed(Self.book(u), from: 0) }
        rig.feed(Self.book(20), from: 1)
        #expect(consumer.merged == [10, 30])
        #expect(consumer.late.count == 1 && consumer.late[0] == (20, true))
        _ = try await rig.finish()
    }

    /// The adaptive wait follows the measured lag: at most 2 ms of lag gives a wait of about
    /// 2 × 1.5 + 1 = 4 ms.
    @Test func autoHoleWaitFollowsTheMeasuredLag() {
        var e = HoleWaitEstimator(.auto)
        #expect(e.nanos == HoleWait.autoInitial.nanoseconds)
        for i in 0..<10_000 { e.record(lagNanos: Int64(i % 2_001) * 1_000, connection: 1) }
        e.rollIfDue(now: 1)
        #expect(abs(e.nanos - 4_000_000) < 100_000, "got \(e.nanos)")
        for _ in 0..<10_000 { e.record(lagNanos: 1_000_000_000, connection: 1) }
        e.rollIfDue(now: 2_000_000_000)
        #expect(e.nanos == HoleWait.autoRange.upperBound.nanoseconds, "clamped")
        #expect(e.placementNanos == 4 * e.nanos)
        var fixed = HoleWaitEstimator(.fixed(.milliseconds(7)))
        fixed.record(lagNanos: 50_000_000, connection: 0)
        fixed.rollIfDue(now: 1)
        #expect(fixed.nanos == 7_000_000)
    }

    /// Every connection goes down; they come back one by one. The first one back ends the
    /// outage gap at its first message, but a slower one still delivers a message from inside
    /// the gap: it is placed, so the ledger must not call it lost. The gap waits while the
    /// lines around it are in memory and is written cut around it (before, the whole range was
    /// written at once and the ledger named a message the capture holds).
    @Test func anOutageGapIsCutAroundWhatASlowerConnectionStillDelivers() async throws {
        let rig = try Rig()
        rig.stamp = WallClock.realtimeNanos()  // lines as young as the clock: the merger keeps them back
        rig.prime(Self.book(100))
        rig.merger.flushIfDue(now: WallClock.monotonicNanos())  // the capture has been up
        for s in rig.stats { s.connected.store(false, ordering: .relaxed) }
        rig.merger.flushIfDue(now: WallClock.monotonicNanos())
        for s in rig.stats { s.connected.store(true, ordering: .relaxed) }
        rig.feed(Self.book(200), from: 0)
        rig.feed(Self.book(150), from: 1)
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 1_000_000_000)
        #expect(rig.merger.statistics.gaps.load(ordering: .relaxed) == 0, "the lines around the gap are still in memory")
        // A second later in receive time, the lines around the gap leave memory: it is final.
        rig.stamp += 1_000_000_000
        rig.prime(Self.book(300))
        rig.merger.flushIfDue(now: WallClock.monotonicNanos() + 2_000_000_000)
        #expect(rig.merger.statistics.gaps.load(ordering: .relaxed) == 2, "written once settled, in two pieces")
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [100, 150, 200, 300].map(Self.book))
        #expect(gaps.count == 2, "\(gaps)")
        #expect(gaps.allSatisfy { $0.contains(#""cause":"disconnect""#) })
        #expect(gaps.first?.contains(#""first_missing":101,"last_missing":149"#) == true)
        #expect(gaps.last?.contains(#""first_missing":151,"last_missing":199"#) == true)
    }

    /// The same for a trade hole whose wait expired before a slow copy came: placed, and cut out.
    @Test func aSequenceGapIsCutAroundALatePlacedCopy() async throws {
        let rig = try Rig(holeWait: .fixed(.milliseconds(1)))
        rig.prime(Self.trade(1))
        for t: Int64 in [2, 6] { rig.feed(Self.trade(t), from: 0) }
        rig.merger.releaseAllHolds()
        rig.feed(Self.trade(4), from: 1)
        let (frames, gaps) = try await rig.finish()
        #expect(frames == [1, 2, 4, 6].map(Self.trade))
        #expect(gaps.count == 2, "\(gaps)")
        #expect(gaps.first?.contains(#""first_missing":3,"last_missing":3"#) == true)
        #expect(gaps.last?.contains(#""first_missing":5,"last_missing":5"#) == true)
    }

    @Test func pendingGapPiecesSplitAtTheirEdgesAndKeepTheirStamps() {
        var gaps = PendingGaps()
        gaps.add(.init(ids: 10...20, cause: "disconnect", connectionsUp: 1, afterReceivedAt: 1, beforeReceivedAt: 9))
        gaps.add(.init(ids: 30...40, cause: "sequence", connectionsUp: 2))
        gaps.fill(10...10, receivedAt: 2)
        gaps.fill(20...20, receivedAt: 8)
        gaps.fill(15...15, receivedAt: 5)
        gaps.fill(99...99, receivedAt: 5)
        gaps.fill(28...31, receivedAt: 6)
        #expect(
            gaps.pieces == [
                .init(ids: 11...14, cause: "disconnect", connectionsUp: 1, afterReceivedAt: 2, beforeReceivedAt: 5),
                .init(ids: 16...19, cause: "disconnect", connectionsUp: 1, afterReceivedAt: 5, beforeReceivedAt: 8),
                .init(ids: 32...40, cause: "sequence", connectionsUp: 2),
            ])
        gaps.fill(11...14, receivedAt: 3)
        #expect(gaps.pieces.count == 2, "a piece filled completely is gone")
        #expect(gaps.takeSettled(writtenThrough: 25).map(\.ids) == [16...19], "only what lies below the written lines is final")
        #expect(gaps.takeSettled(writtenThrough: 25, all: true).map(\.ids) == [32...40])
        #expect(gaps.isEmpty)
    }
}
