import Foundation
import Testing

@testable import TickTape

/// The reference recording was made on a host clock 1.27 s behind Binance's. Fed through
/// telemetry as recorded (`recv_ns`, frame), that skew must come out as negative latency, not
/// be clamped to zero; lag between connections must not care.
@Suite struct RecordedClockSkewTests {
    @Test func theRecordingsClockSkewShowsAsNegativeLatency() throws {
        let lines = try recordedLines()
        #expect(lines.count > 1000)
        let feed = TelemetryFeed(connections: 2)
        for (ns, frame) in lines {
            feed.deliver(frame, receivedAt: ns, connection: 0)
            feed.deliver(frame, receivedAt: ns + 300_000, connection: 1)  // a copy 300 µs behind
        }
        let s = try #require(feed.summarise())
        let merged = s.mergedEvent.cumulative
        let p50 = try #require(merged.p50)
        #expect((-1_300_000 ... -1_240_000).contains(p50), "merged latency p50 \(p50) µs: the recording's -1.27 s")
        #expect(try #require(merged.max) < 0, "every message of the recording arrived 'before' it was sent")
        #expect(try #require(s.mergedTransaction.cumulative.p50) < -1_000_000)
        let c0 = try #require(s.connections.first { $0.connection == 0 })
        let c1 = try #require(s.connections.first { $0.connection == 1 })
        #expect(c0.latencyEvent.cumulative.p50 == p50, "the merged stream is connection 0's copies")
        #expect(c0.winShare == 1.0)
        #expect(c1.wins == 0)
        let lag = try #require(c1.lag.cumulative.p50)
        #expect(abs(lag - 300_000) <= 3_000, "lag needs no clock sync: \(lag) ns for a 300 µs offset")
        #expect(c0.lag.window.count == 0, "the winner never lags")
    }

    @Test func exportedLatencyIsNegativeAndTheClockStateIsBesideIt() throws {
        let feed = TelemetryFeed(connections: 1)
        for (ns, frame) in try recordedLines().prefix(500) { feed.deliver(frame, receivedAt: ns, connection: 0) }
        let snapshot = try #require(feed.summarise())
        let text = String(decoding: PrometheusExporter().render(snapshots: [snapshot], clock: ClockSyncState.sample()), as: UTF8.self)
        let line = try #require(
            text.split(separator: "\n").first {
                $0.hasPrefix("ticktape_latency_event_microseconds{") && $0.contains(#"connection="merged""#)
                    && $0.contains(#"window="cumulative""#) && $0.contains(#"quantile="0.5""#)
            })
        let value = try #require(Double(line.split(separator: " ").last.map(String.init) ?? ""))
        #expect(value < -1_000_000, "\(line)")
        #expect(text.contains("# TYPE ticktape_clock_synchronized gauge"))
        #expect(text.contains("ticktape_clock_estimated_error_seconds"))
        #expect(text.contains("ticktape_clock_state_source{source=\"adjtimex\"}"))
    }
}
