import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Make-before-break rotation with Binance's 24 h lifetime scaled to seconds.
extension FaultTests {
@Suite(.serialized) struct RotationTests {
    /// One connection only, so nothing else can cover for a rotation: the server cuts every
    /// session at 5 s, the client rotates at 1–1.5 s, and over 9 s every message the exchange
    /// produced is in the file.
    @Test func aSingleConnectionRotatesManyTimesWithZeroGap() async throws {
        let h = try await FaultHarness(
            connections: 1, lifetime: .seconds(5),
            captureSettings: """
                max_connection_age = "1500ms"
                max_connection_age_jitter = "500ms"
                """)
        try await Task.sleep(for: .seconds(9))
        let outcome = try await h.finish(after: .zero)
        let rotations = h.stats(0).rotations.load(ordering: .relaxed)
        #expect(rotations >= 5, "rotated \(rotations) times")
        #expect(h.stats(0).disconnects.load(ordering: .relaxed) == 0, "the server never had to cut a connection")
        let first = try #require(outcome.captured.first)
        let last = try #require(outcome.captured.last)
        let expected = outcome.generated.filter { $0 >= first && $0 <= last }
        let missing = Set(expected).subtracting(outcome.captured)
        #expect(missing.isEmpty, "zero gap: \(missing.count) message(s) missing, \(outcome.late) late")
        #expect(outcome.captured.count == expected.count, "every message once")
        #expect(outcome.gaps.isEmpty)
    }

    @Test func theNConnectionsNeverRotateTogether() async throws {
        let h = try await FaultHarness(
            connections: 4,
            captureSettings: """
                max_connection_age = "1s"
                max_connection_age_jitter = "900ms"
                """)
        var overlaps = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let rotating = h.capture.rotationGate.rotating
            if rotating != nil, (0..<4).filter({ h.stats($0).connected.load(ordering: .relaxed) }).count < 4 { overlaps += 1 }
            try await Task.sleep(for: .milliseconds(5))
        }
        let outcome = try await h.finish(after: .zero)
        let rotations = (0..<4).map { h.stats($0).rotations.load(ordering: .relaxed) }
        #expect(rotations.allSatisfy { $0 >= 1 } && rotations.reduce(0, +) >= 6, "every connection rotated: \(rotations)")
        #expect(overlaps == 0, "no connection was ever down while another rotated")
        #expect((0..<4).allSatisfy { h.stats($0).disconnects.load(ordering: .relaxed) == 0 })
        outcome.expectNothingDeliveredLost(healthy: [0, 1, 2, 3])
        #expect(outcome.gaps.isEmpty)
    }
}
}
