import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Every fault the exchange or the network can throw, on one of 4 connections and (for the
/// disconnect and stall faults) on all 4 at once, against the real engine over loopback.
///
/// Bounds (with ``FaultHarness``'s scaled settings): a dropped connection is back within
/// `backoff_max` + handshake (asserted: 2 s); a stall is detected within `stale_after` + one
/// watchdog period (1.25 s; asserted: 2 s) and recovered within 0.4 s more (asserted: 3 s);
/// a 429/418 `Retry-After: 1` keeps the connection away for at least 1 s and at most
/// 1 s + `backoff_max` + ⅛ s spread (asserted: 1–3 s); a bad frame is skipped within one read
/// and costs no reconnect; a `serverShutdown` is answered by a rotation within 1 s, before the
/// server closes.
extension FaultTests {
@Suite(.serialized) struct FaultMatrixTests {
    /// Faults on a live session of connection 1 of 4.
    @Test(arguments: [
        ConnectionFault.reset, .close(code: 1000), .close(code: 1001), .close(code: 1008),
    ])
    func aDroppedConnectionIsBackWithinBackoffAndNothingIsLost(fault: ConnectionFault) async throws {
        let h = try await FaultHarness()
        h.simulator.inject(fault, connection: 1)
        let back = await h.secondsUntil { h.stats(1).connects.load(ordering: .relaxed) >= 2 && h.stats(1).connected.load(ordering: .relaxed) }
        let outcome = try await h.finish()
        #expect(try #require(back, "reconnected") < 2)
        #expect(h.stats(1).disconnects.load(ordering: .relaxed) == 1)
        #expect((0..<4).filter { $0 != 1 }.allSatisfy { h.stats($0).disconnects.load(ordering: .relaxed) == 0 })
        outcome.expectNothingDeliveredLost(healthy: [0, 2, 3])
        #expect(outcome.disconnectGaps.isEmpty, "three connections covered the outage")
    }

    @Test(arguments: [true, false])
    func aSilentStallIsDetectedByTheWatchdogAndReplaced(answerPings: Bool) async throws {
        let h = try await FaultHarness()
        h.simulator.inject(.stall(answerPings: answerPings), connection: 1)
        let detected = await h.secondsUntil { h.stats(1).staleEvents.load(ordering: .relaxed) >= 1 }
        let back = await h.secondsUntil { h.stats(1).connects.load(ordering: .relaxed) >= 2 }
        let outcome = try await h.finish()
        #expect(try #require(detected, "stall detected") < 2)
        #expect(try #require(back, "replaced") < 1)
        outcome.expectNothingDeliveredLost(healthy: [0, 2, 3])
        #expect(outcome.disconnectGaps.isEmpty)
    }

    @Test func aSlowConnectionLosesTheRaceButCostsNothing() async throws {
        let h = try await FaultHarness()
        try await Task.sleep(for: .milliseconds(200))
        let winsBefore = h.stats(1).wins.load(ordering: .relaxed)
        h.simulator.inject(.slow(delay: .milliseconds(50)), connection: 1)
        try await Task.sleep(for: .milliseconds(300))
        let winsAfterSlowdown = h.stats(1).wins.load(ordering: .relaxed)
        try await Task.sleep(for: .seconds(1))
        let winsLater = h.stats(1).wins.load(ordering: .relaxed)
        let outcome = try await h.finish()
        // 2 000 messages arrive in that second; a copy 50 ms late wins only when all three
        // others were held up longer than that (a loaded machine), which must stay rare.
        #expect(winsLater - winsAfterSlowdown < 200, "a 50 ms late copy rarely wins (\(winsLater - winsAfterSlowdown))")
        #expect(winsBefore > 0, "it won its share while healthy")
        #expect(h.stats(1).disconnects.load(ordering: .relaxed) == 0)
        outcome.expectNothingDeliveredLost(healthy: [0, 2, 3])
    }

    @Test(arguments: GarbageFrame.allCases)
    func aBadFrameIsCountedAndSkippedWithoutCostingTheConnection(kind: GarbageFrame) async throws {
        let h = try await FaultHarness()
        func bad() -> Int { h.stats(1).malformed.load(ordering: .relaxed) + h.stats(1).skippedFrames.load(ordering: .relaxed) }
        h.simulator.inject(.garbage(kind), connection: 1)
        let counted = await h.secondsUntil(timeout: .seconds(5)) { bad() >= 1 }
        let outcome = try await h.finish()
        #expect(try #require(counted, "the bad frame was counted") < 1)
        #expect(bad() == 1)
        #expect(h.stats(1).disconnects.load(ordering: .relaxed) == 0, "one bad frame never costs the connection")
        outcome.expectNothingDeliveredLost(healthy: [0, 1, 2, 3])
    }

    @Test func duplicatedMessagesAreWrittenOnce() async throws {
        let h = try await FaultHarness()
        let before = h.stats(1).duplicates.load(ordering: .relaxed) + h.stats(1).wins.load(ordering: .relaxed)
        h.simulator.inject(.duplicate(count: 200), connection: 1)
        try await Task.sleep(for: .milliseconds(300))
        let outcome = try await h.finish()
        let after = h.stats(1).duplicates.load(ordering: .relaxed) + h.stats(1).wins.load(ordering: .relaxed)
        #expect(after - before >= 400, "both copies of 200 messages were seen and judged")
        outcome.expectNothingDeliveredLost(healthy: [0, 1, 2, 3])
    }

    @Test func reorderedMessagesOnOneConnectionAreCoveredByTheOthers() async throws {
        let h = try await FaultHarness()
        h.simulator.inject(.reorder(count: 100), connection: 1)
        try await Task.sleep(for: .milliseconds(300))
        let outcome = try await h.finish()
        #expect(h.stats(1).disconnects.load(ordering: .relaxed) == 0)
        #expect(outcome.late <= 100)
        outcome.expectNothingDeliveredLost(healthy: [0, 2, 3])
    }

    @Test func serverShutdownIsAnsweredByARotationBeforeTheServerCloses() async throws {
        let h = try await FaultHarness()
        h.simulator.inject(.serverShutdown(closeAfter: .seconds(2)), connection: 1)
        let rotated = await h.secondsUntil { h.stats(1).rotations.load(ordering: .relaxed) >= 1 }
        try await Task.sleep(for: .seconds(2))
        let outcome = try await h.finish()
        #expect(try #require(rotated, "rotated") < 1)
        #expect(h.stats(1).disconnects.load(ordering: .relaxed) == 0, "the server's close found the old link already gone")
        outcome.expectNothingDeliveredLost(healthy: [0, 1, 2, 3])
    }

    // MARK: Handshake failures

    enum HandshakeCase: String, CaseIterable, Sendable {
        case rateLimited429, banned418, gateway503, refused, wrongCertificate
    }

    @Test(arguments: HandshakeCase.allCases)
    func aFailedHandshakeIsRetriedWithinTheBudgetHonouringRetryAfter(_ c: HandshakeCase) async throws {
        let h = try await FaultHarness(tls: c == .wrongCertificate)
        var minimum = 0.0
        var maximum = 2.0
        switch c {
        case .rateLimited429:
            try h.simulator.failHandshakes(.status(code: 429, retryAfter: 1), connection: 1)
            (minimum, maximum) = (1, 3)
        case .banned418:
            try h.simulator.failHandshakes(.status(code: 418, retryAfter: 1), connection: 1)
            (minimum, maximum) = (1, 3)
        case .gateway503:
            try h.simulator.failHandshakes(.status(code: 503, retryAfter: nil), connection: 1, count: 2)
        case .refused:
            let simulator = h.simulator
            Task { try await simulator.refuseConnections(for: .seconds(1)) }
            try await Task.sleep(for: .milliseconds(50))
            (minimum, maximum) = (0.9, 3)
        case .wrongCertificate:
            try h.simulator.failHandshakes(.wrongCertificate)
            maximum = 3
        }
        h.simulator.inject(.reset, connection: 1)
        let back = await h.secondsUntil { h.stats(1).connects.load(ordering: .relaxed) >= 2 }
        let outcome = try await h.finish()
        let seconds = try #require(back, "reconnected")
        #expect(seconds >= minimum && seconds < maximum, "back after \(seconds) s, expected \(minimum)–\(maximum) s")
        let backOffs = h.stats(1).backOffs.load(ordering: .relaxed)
        #expect(backOffs == (c == .rateLimited429 || c == .banned418 ? 1 : 0))
        #expect((0..<4).filter { $0 != 1 }.allSatisfy { h.stats($0).disconnects.load(ordering: .relaxed) == 0 })
        outcome.expectNothingDeliveredLost(healthy: [0, 2, 3])
    }

    // MARK: All four at once

    @Test(arguments: [ConnectionFault.reset, .close(code: 1001), .stall(answerPings: true)])
    func whenEveryConnectionFailsTheLedgerRecordsExactlyWhatWasLost(fault: ConnectionFault) async throws {
        let h = try await FaultHarness()
        h.simulator.inject(fault, connection: nil)
        let back = await h.secondsUntil {
            (0..<4).allSatisfy { h.stats($0).connects.load(ordering: .relaxed) >= 2 && h.stats($0).connected.load(ordering: .relaxed) }
        }
        let outcome = try await h.finish()
        #expect(try #require(back, "every connection came back") < 3.5)
        #expect(!outcome.disconnectGaps.isEmpty, "the outage is in the ledger")
        outcome.expectLedgerIsExact()
        let all = outcome.sent.reduce(into: Set<Int64>()) { $0.formUnion($1) }
        let capturedSet = Set(outcome.captured)
        let ranges = outcome.disconnectGaps
        let end = outcome.captured.last ?? .max
        let deliveredButMissing = all.subtracting(capturedSet).filter { id in id <= end && !ranges.contains { $0.contains(id) } }
        #expect(deliveredButMissing.count <= outcome.late, "nothing delivered is lost outside the recorded gap")
        #expect(outcome.captured.count > 1000)
    }

    @Test func serverShutdownOnEveryConnectionRotatesThemOneByOneWithoutAGap() async throws {
        let h = try await FaultHarness()
        h.simulator.inject(.serverShutdown(closeAfter: .seconds(5)), connection: nil)
        let rotated = await h.secondsUntil { (0..<4).allSatisfy { h.stats($0).rotations.load(ordering: .relaxed) >= 1 } }
        let outcome = try await h.finish()
        #expect(try #require(rotated, "all four rotated") < 5)
        #expect((0..<4).allSatisfy { h.stats($0).disconnects.load(ordering: .relaxed) == 0 })
        #expect(outcome.disconnectGaps.isEmpty)
        outcome.expectNothingDeliveredLost(healthy: [0, 1, 2, 3])
        outcome.expectLedgerIsExact()
    }
}
}
