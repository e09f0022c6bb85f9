import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The per-stream staleness watchdog against a simulator serving two streams (btcusdt and
/// ethusdt bookTicker, 1 000 msg/s each) with `stream_stale_after = "1s"`.
///
/// Bounds asserted: a stream muted on one connection gets that connection replaced within
/// 1 s (the quiet limit) + 250 ms (watchdog period) + 250 ms (the session's staleness check)
/// + the replacement's handshake, asserted as under 4 s; a stream silent everywhere or never
/// heard from is reported within 1 s + 250 ms, asserted as under 3 s.
extension FaultTests {
    @Suite(.serialized) struct StreamWatchdogTests {
        static let twoStreams = ["btcusdt", "ethusdt"]

        @Test func aStreamLostOnOneConnectionGetsThatConnectionReplacedWithoutLoss() async throws {
            let h = try await FaultHarness(connections: 3, symbols: Self.twoStreams, captureSettings: #"stream_stale_after = "1s""#)
            h.simulator.inject(.muteStream("ethusdt@bookTicker"), connection: 1)
            let replaced = await h.secondsUntil(timeout: .seconds(8)) { h.stats(1).rotations.load(ordering: .relaxed) >= 1 }
            let seconds = try #require(replaced, "connection 1 was replaced")
            #expect(seconds < 4, "replaced after \(seconds) s")
            let flagged = h.stats(1).staleStreamEvents.load(ordering: .relaxed)
            #expect(flagged >= 1)
            // The replacement serves both streams again: it is not flagged anew.
            try await Task.sleep(for: .milliseconds(2_000))
            #expect(h.stats(1).staleStreamEvents.load(ordering: .relaxed) == flagged, "the new link delivers ethusdt")
            #expect(h.stats(0).staleStreamEvents.load(ordering: .relaxed) == 0 && h.stats(2).staleStreamEvents.load(ordering: .relaxed) == 0)
            #expect((0..<3).allSatisfy { h.stats($0).disconnects.load(ordering: .relaxed) == 0 }, "make-before-break, no disconnect")
            #expect(h.capture.merger.statistics.silentStreams.load(ordering: .relaxed) == 0)
            let outcome = try await h.finish(after: .zero)
            let end = try #require(outcome.captured.max())
            let union = outcome.sent.reduce(into: Set<Int64>()) { $0.formUnion($1.filter { $0 <= end }) }
            let missing = union.subtracting(outcome.captured)
            #expect(missing.count <= outcome.late, "\(missing.count) delivered message(s) missing, \(outcome.late) late")
            #expect(outcome.gaps.isEmpty)
        }

        @Test func aStreamSilentOnEveryConnectionIsReportedAndNothingIsTornDown() async throws {
            let h = try await FaultHarness(connections: 3, symbols: Self.twoStreams, captureSettings: #"stream_stale_after = "1s""#)
            let statistics = h.capture.merger.statistics
            h.simulator.inject(.muteStream("ethusdt@bookTicker"), connection: nil)
            let reported = await h.secondsUntil(timeout: .seconds(6)) { statistics.silentStreams.load(ordering: .relaxed) == 1 }
            let seconds = try #require(reported, "the silent stream was reported")
            #expect(seconds < 3, "reported after \(seconds) s")
            #expect(statistics.streamSilences.load(ordering: .relaxed) == 1)
            #expect(h.engine.statusSummary().contains("1 STREAM SILENT"), "\(h.engine.statusSummary())")
            let emitted = statistics.emitted.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(1_500))
            #expect(statistics.emitted.load(ordering: .relaxed) > emitted + 1_000, "btcusdt keeps flowing")
            for k in 0..<3 {
                #expect(h.stats(k).staleStreamEvents.load(ordering: .relaxed) == 0, "no connection is blamed")
                #expect(h.stats(k).rotations.load(ordering: .relaxed) == 0 && h.stats(k).disconnects.load(ordering: .relaxed) == 0)
            }
            _ = try await h.finish(after: .zero)
        }

        @Test func aConfiguredStreamThatNeverDeliversIsReported() async throws {
            let h = try await FaultHarness(
                connections: 2,
                captureSettings: """
                    subscribe = ["nosuchusdt@bookTicker"]
                    stream_stale_after = "1s"
                    """)
            let statistics = h.capture.merger.statistics
            let reported = await h.secondsUntil(timeout: .seconds(6)) { statistics.silentStreams.load(ordering: .relaxed) == 1 }
            #expect(reported != nil, "the dead name was reported")
            #expect(statistics.streamSilences.load(ordering: .relaxed) == 1)
            #expect((0..<2).allSatisfy { h.stats($0).staleStreamEvents.load(ordering: .relaxed) == 0 })
            _ = try await h.finish(after: .zero)
        }
    }
}
