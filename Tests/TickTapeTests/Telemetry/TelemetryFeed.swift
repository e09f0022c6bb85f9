import Foundation
import Testing

@testable import TickTape

/// Drives a ``CaptureTelemetry`` the way the merger does, without sockets: each call is one
/// copy of a frame arriving on a connection at a given receive stamp.
final class TelemetryFeed {
    let telemetry: CaptureTelemetry
    let statistics: [ConnectionStatistics]
    let capture = CaptureStatistics()
    private var streams: [String: StreamSequencer] = [:]

    init(connections: Int, arrivals: ArrivalsSidecar? = nil) {
        telemetry = CaptureTelemetry(name: "feed", interval: .seconds(1), ringCapacity: 1024, arrivals: arrivals)
        statistics = (0..<connections).map { ConnectionStatistics(index: $0) }
        telemetry.bind(capture: capture)
        for s in statistics { telemetry.attach(s, ring: SPSCRing(capacity: 1024)) }
    }

    /// One copy of `frame` read at `receivedAt` on `connection`; returns the merger's decision.
    @discardableResult
    func deliver(_ frame: String, receivedAt: Int64, connection: Int) -> SequenceDecision? {
        let bytes = Array(frame.utf8)
        return bytes.withUnsafeBytes { raw -> SequenceDecision? in
            let scanned = FrameScanner.scan(raw)
            guard scanned.kind == .data else { return nil }
            let rule = SequenceRule.classify(scanned, in: raw)
            let name = scanned.stream.map { String(decoding: raw[$0], as: UTF8.self) } ?? "\(rule)"
            let stream = streams[name] ?? StreamSequencer(name: name, rule: rule, keyBytes: Array(name.utf8))
            streams[name] = stream
            let id = rule.sequenceID(of: scanned) ?? CaptureMerger.contentHash(raw)
            let decision = stream.decide(id: id, frame: scanned, policy: .drop, receivedAt: receivedAt)
            let stats = statistics[connection]
            switch decision {
            case .emit:
                stats.wins.bump()
                capture.emitted.bump()
            case .duplicate: stats.duplicates.bump()
            case .late: stats.lateCopies.bump()
            }
            stats.framesReceived.bump()
            telemetry.record(
                scanned, id: id, receivedAt: receivedAt, connection: connection, decision: decision, stream: stream)
            return decision
        }
    }

    /// Closes the window and summarises it as the reporter thread would.
    func summarise(config: TelemetryConfig = TelemetryConfig()) -> CaptureTelemetrySnapshot? {
        telemetry.rollIfDue(now: Int64.max / 2)
        return telemetry.exchange.consume {
            telemetry.accumulator.absorb($0, config: config, wallNow: WallClock.realtimeNanos()).snapshot
        }
    }
}

/// The recording fixture as `(receive ns, frame)` pairs, REST snapshot lines skipped.
func recordedLines() throws -> [(Int64, String)] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/usdm_btcusdt_head", withExtension: "gz"))
    return String(decoding: try gunzip(url.path), as: UTF8.self).split(separator: "\n").compactMap { line in
        guard let (ns, frame) = splitLine(String(line)), frame.hasPrefix("{\"stream\"") else { return nil }
        return (ns, frame)
    }
}
