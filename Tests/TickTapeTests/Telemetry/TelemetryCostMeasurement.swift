import Foundation
import NIOCore
import Testing

@testable import TickTape

/// Opt-in measurement of what telemetry adds to the merger's per-message work (not part of
/// CI: speed lives in measurements, not in timed tests). Run in release:
/// `TICKTAPE_MEASURE=1 swift test -c release --filter TelemetryCostMeasurement`.
///
/// The same pre-built copies (three connections, bookTicker frames as Binance sends them,
/// each message arriving on 0, then 1, then 2) go through ``CaptureMerger/process(_:from:)``
/// with telemetry off, on, and on with the arrivals file; runs alternate and the best of each
/// is kept, so the difference is the hook's cost and not the machine's mood.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TICKTAPE_MEASURE"] != nil))
struct TelemetryCostMeasurement {
    static let messages = 200_000
    static let connections = 3

    static func frames() -> [(InboundFrame, Int)] {
        var out: [(InboundFrame, Int)] = []
        out.reserveCapacity(messages * connections)
        let start = WallClock.realtimeNanos()
        for i in 0..<messages {
            let e = (start / 1_000_000) + Int64(i / 5)
            let text = #"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":\#(8_000_000_000 + i * 3),"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":\#(e),"E":\#(e)}}"#
            let buffer = ByteBuffer(string: text)
            for k in 0..<connections {
                let at = start + Int64(i) * 200_000 + Int64(k) * 250_000 + 700_000
                out.append((InboundFrame(receivedAt: at, payload: buffer), k))
            }
        }
        return out
    }

    /// Nanoseconds per copy through `process` for one fresh merger.
    static func run(_ frames: [(InboundFrame, Int)], telemetry: CaptureTelemetry?, dir: String) async throws -> Double {
        let writer = try SegmentWriter(capture: "m", dataDirectory: dir, storage: StorageConfig(), logger: testLogger)
        writer.start()
        let stats = (0..<connections).map { ConnectionStatistics(index: $0) }
        let merger = CaptureMerger(
            name: "m", rings: stats.map { _ in SPSCRing(capacity: 1024) }, connections: stats, writer: writer,
            latePolicy: .drop, flushInterval: .milliseconds(100), logger: testLogger, telemetry: telemetry)
        let t0 = WallClock.monotonicNanos()
        for (frame, k) in frames { merger.process(frame, from: k) }
        let t1 = WallClock.monotonicNanos()
        merger.flushNow()
        await writer.finish()
        #expect(stats[0].wins.load(ordering: .relaxed) == messages)
        return Double(t1 - t0) / Double(frames.count)
    }

    @Test func perMessageCostOfTelemetryOnTheMergerHotPath() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let frames = Self.frames()
        var off = Double.infinity
        var on = Double.infinity
        var withArrivals = Double.infinity
        for round in 0..<7 {
            off = min(off, try await Self.run(frames, telemetry: nil, dir: "\(dir.path)/off\(round)"))
            let t = CaptureTelemetry(name: "m", interval: .seconds(3600), ringCapacity: 1024, arrivals: nil)
            on = min(on, try await Self.run(frames, telemetry: t, dir: "\(dir.path)/on\(round)"))
            let sidecar = try ArrivalsSidecar(
                capture: "m", directory: "\(dir.path)/arr\(round)", connections: Self.connections, logger: testLogger)
            let ta = CaptureTelemetry(name: "m", interval: .seconds(3600), ringCapacity: 1024, arrivals: sidecar)
            withArrivals = min(withArrivals, try await Self.run(frames, telemetry: ta, dir: "\(dir.path)/arrm\(round)"))
            sidecar.close()
        }
        print(
            String(
                format: "MEASURE telemetry per copy: off %.1f ns, on %.1f ns (+%.1f ns), on+arrivals %.1f ns (+%.1f ns)",
                off, on, on - off, withArrivals, withArrivals - off))
        #expect(on.isFinite && off.isFinite)
    }
}
