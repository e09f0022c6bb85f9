import Testing

@testable import TickTape

@Suite struct StreamSequencerTests {
    let frame = ScannedFrame()

    @Test func firstArrivalWinsAndLaterCopiesAreDuplicates() {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [])
        #expect(s.decide(id: 10, frame: frame, policy: .drop) == .emit(gap: nil))
        #expect(s.decide(id: 10, frame: frame, policy: .drop) == .duplicate)
        #expect(s.decide(id: 17, frame: frame, policy: .drop) == .emit(gap: nil))
        #expect(s.decide(id: 10, frame: frame, policy: .drop) == .duplicate)
        #expect(s.duplicates == 2)
        #expect(s.emitted == 2)
    }

    @Test func aMessageBelowTheLastEmittedThatWasNeverEmittedIsLate() {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [])
        _ = s.decide(id: 10, frame: frame, policy: .drop)
        _ = s.decide(id: 30, frame: frame, policy: .drop)  // 20 was skipped by the fastest connection
        #expect(s.decide(id: 20, frame: frame, policy: .drop) == .late(first: true))
        #expect(s.decide(id: 20, frame: frame, policy: .drop) == .late(first: false))
        #expect(s.lateMessages == 1)
        #expect(s.lateCopies == 2)
        #expect(s.lastEmitted == 30)
    }

    /// The capture's very first message overtaken by its successor on another connection was
    /// once taken for a forgotten duplicate and dropped uncounted.
    @Test func aMessageOlderThanTheFirstEmittedIsLateUntilTheWindowHasForgottenAnything() {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [], window: 4)
        _ = s.decide(id: 11, frame: frame, policy: .drop)
        #expect(s.decide(id: 10, frame: frame, policy: .drop) == .late(first: true))
        for id in Int64(12)...15 { _ = s.decide(id: id, frame: frame, policy: .drop) }
        // 11 has been evicted from the 4-id window: below it, a copy is most likely a straggler.
        #expect(s.decide(id: 9, frame: frame, policy: .drop) == .duplicate)
        #expect(s.lateMessages == 1)
    }

    @Test(arguments: [LatePolicy.emit, .place])
    func aLateMessageIsTakenOnceOnlyWhenPoliciesKeepIt(policy: LatePolicy) {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [])
        _ = s.decide(id: 10, frame: frame, policy: policy)
        _ = s.decide(id: 30, frame: frame, policy: policy)
        #expect(s.decide(id: 20, frame: frame, policy: policy) == .late(first: true))
        #expect(s.decide(id: 20, frame: frame, policy: policy) == .duplicate)
        #expect(s.emitted == 2, "the merger counts a late message written once it is placed")
    }

    @Test func tradeIdJumpIsRecordedAsGapButBookTickerJumpIsNot() {
        let trade = StreamSequencer(name: "t", rule: .trade, keyBytes: [])
        _ = trade.decide(id: 100, frame: frame, policy: .drop)
        #expect(trade.decide(id: 101, frame: frame, policy: .drop) == .emit(gap: nil))
        #expect(trade.decide(id: 105, frame: frame, policy: .drop) == .emit(gap: 102...104))
        #expect(trade.missingIDs == 3)
        let book = StreamSequencer(name: "b", rule: .bookTicker, keyBytes: [])
        _ = book.decide(id: 100, frame: frame, policy: .drop)
        #expect(book.decide(id: 5000, frame: frame, policy: .drop) == .emit(gap: nil))
    }

    @Test func depthChainBreakIsAGap() {
        let s = StreamSequencer(name: "d", rule: .depthChain, keyBytes: [])
        var f = ScannedFrame()
        f.firstUpdateID = 1
        f.updateID = 10
        f.previousUpdateID = 0
        _ = s.decide(id: 10, frame: f, policy: .drop)
        f.firstUpdateID = 11
        f.updateID = 20
        f.previousUpdateID = 10
        #expect(s.decide(id: 20, frame: f, policy: .drop) == .emit(gap: nil))
        f.firstUpdateID = 31
        f.updateID = 40
        f.previousUpdateID = 30
        #expect(s.decide(id: 40, frame: f, policy: .drop) == .emit(gap: 21...30))
    }

    @Test func contentRuleDeduplicatesIdenticalPayloads() {
        let s = StreamSequencer(name: "c", rule: .content, keyBytes: [])
        #expect(s.decide(id: 77, frame: frame, policy: .drop) == .emit(gap: nil))
        #expect(s.decide(id: 78, frame: frame, policy: .drop) == .emit(gap: nil))
        #expect(s.decide(id: 77, frame: frame, policy: .drop) == .duplicate)
    }

    @Test func duplicatesFarBehindStayDuplicatesAcrossTheWindow() {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [], window: 1024)
        for id in stride(from: Int64(0), to: 5000, by: 3) { _ = s.decide(id: id, frame: frame, policy: .drop) }
        #expect(s.decide(id: 4998, frame: frame, policy: .drop) == .duplicate)  // in window
        #expect(s.decide(id: 4997, frame: frame, policy: .drop) == .late(first: true))  // in window, never emitted
        #expect(s.decide(id: 3, frame: frame, policy: .drop) == .duplicate)  // older than the window
    }
}

@Suite struct StreamSequencerWinnerStampTests {
    @Test func aDuplicateKnowsWhenTheWinningCopyArrived() {
        let s = StreamSequencer(name: "x", rule: .bookTicker, keyBytes: [])
        let frame = ScannedFrame()
        #expect(s.decide(id: 10, frame: frame, policy: .drop, receivedAt: 1_000) == .emit(gap: nil))
        #expect(s.decide(id: 11, frame: frame, policy: .drop, receivedAt: 2_000) == .emit(gap: nil))
        #expect(s.decide(id: 10, frame: frame, policy: .drop, receivedAt: 1_700) == .duplicate)
        #expect(s.winnerReceivedAt == 1_000)
        #expect(s.decide(id: 11, frame: frame, policy: .drop, receivedAt: 2_050) == .duplicate)
        #expect(s.winnerReceivedAt == 2_000)
    }
}
