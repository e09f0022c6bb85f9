import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The fault suites, run one after the other: each starts a simulator and an engine, and on
/// a 2-core machine two at once would measure the machine rather than the recovery.
@Suite(.serialized) enum FaultTests {}

/// One capture of racing connections against a fault-injecting simulator, with every timing
/// scaled down so a fault is detected and recovered from within a second or two.
///
/// Scaled settings (the bounds the fault tests assert against): `stale_after` 1 s (the watchdog
/// checks every 250 ms), `backoff_initial` 50 ms, `backoff_max` 400 ms, `connect_timeout` 2 s.
/// Synthetic bookTicker at 2 000 msg/s; every connection starts at message 0.
final class FaultHarness {
    static let staleAfter = Duration.seconds(1)
    static let backoffMax = Duration.milliseconds(400)

    let dir: TemporaryDirectory
    let simulator: ExchangeSimulator
    let engine: CaptureEngine
    let capture: Capture
    let connections: Int

    init(
        connections: Int = 4, tls: Bool = false, lifetime: Duration? = nil, rate: Double = 2_000,
        symbols: [String] = ["btcusdt"], captureSettings: String = ""
    ) async throws {
        dir = try TemporaryDirectory("ticktape-fault")
        self.connections = connections
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(symbols: symbols, rate: rate)))
        sim.startWhenConnected = connections
        sim.seed = 7
        sim.connectionLifetime = lifetime
        var caLine = ""
        if tls {
            let certs = try TestCertificateAuthority.make(in: dir.path + "/certs")
            sim.tls = TLSFiles(certificateChainPath: certs.certPath, privateKeyPath: certs.keyPath)
            caLine = "ca_file = \"\(certs.caPath)\""
        }
        simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let host = tls ? "wss://localhost" : "ws://127.0.0.1"
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "10ms""#,
            captures: """
                [[capture]]
                name = "book"
                url = "\(host):\(port)/public/stream?streams=\(symbols.map { "\($0)@bookTicker" }.joined(separator: "/"))"
                connections = \(connections)
                stale_after = "1s"
                backoff_initial = "50ms"
                backoff_max = "400ms"
                connect_timeout = "2s"
                \(caLine)
                \(captureSettings)
                """)
        engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        capture = engine.captures[0]
        let capture = self.capture
        let ready = await eventually(timeout: .seconds(20)) {
            capture.connectionsUp == connections && capture.merger.statistics.emitted.load(ordering: .relaxed) > 200
        }
        try #require(ready, "all \(connections) connections up and delivering")
    }

    func stats(_ k: Int) -> ConnectionStatistics { capture.sessions[k].statistics }

    /// Seconds until `condition` holds (nil if not within `timeout`).
    func secondsUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Double? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if condition() { return Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Lets the capture run on, then stops everything and reads back what it wrote.
    func finish(after: Duration = .milliseconds(600)) async throws -> FaultOutcome {
        try await Task.sleep(for: after)
        await engine.stop()
        try await simulator.stop()
        defer { dir.cleanup() }
        var idOf: [Int: Int64] = [:]
        func id(_ index: Int) throws -> Int64 {
            if let known = idOf[index] { return known }
            let frame = simulator.frame(message: index, combined: true)
            let value = try #require(Array(frame.utf8).withUnsafeBytes { FrameScanner.scan($0).updateID })
            idOf[index] = value
            return value
        }
        var sent: [Set<Int64>] = []
        for k in 0..<connections { sent.append(Set(try simulator.sentMessages(connection: k).map(id))) }
        let generated = try (0..<simulator.messageCount).map(id)
        let captured = try readCaptureLines("\(dir.path)/book").map { line in
            let (_, frame) = try #require(splitLine(line))
            return try #require(Array(frame.utf8).withUnsafeBytes { bytes -> Int64? in
                let scanned = FrameScanner.scan(bytes)
                return scanned.kind == .data && UTF8Validation.isValid(bytes) ? scanned.updateID : nil
            }, "every captured line is a bookTicker: \(frame.prefix(80))")
        }
        var gaps: [[String: Any]] = []
        if let text = try? String(contentsOfFile: "\(dir.path)/book/gaps.jsonl", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                gaps.append(try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
            }
        }
        return FaultOutcome(
            captured: captured, sent: sent, generated: generated, gaps: gaps,
            late: capture.merger.statistics.lateMessages.load(ordering: .relaxed))
    }
}

/// What a fault run produced, and the checks every fault test makes on it.
struct FaultOutcome {
    /// Update ids in the capture file, in file order.
    var captured: [Int64]
    /// Update ids each connection was sent (simulator's log).
    var sent: [Set<Int64>]
    /// Update ids of every message the exchange produced, in order.
    var generated: [Int64]
    /// `gaps.jsonl` entries.
    var gaps: [[String: Any]]
    var late: Int

    var disconnectGaps: [ClosedRange<Int64>] {
        gaps.compactMap { g in
            guard g["cause"] as? String == "disconnect", let a = g["first_missing"] as? Int, let b = g["last_missing"] as? Int
            else { return nil }
            return Int64(a)...Int64(b)
        }
    }

    /// Strictly increasing, nothing invented, and nothing a healthy connection delivered is
    /// missing (late copies, counted, are the only allowance).
    func expectNothingDeliveredLost(healthy: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(zip(captured, captured.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing", sourceLocation: sourceLocation)
        let all = sent.reduce(into: Set<Int64>()) { $0.formUnion($1) }
        let capturedSet = Set(captured)
        #expect(capturedSet.isSubset(of: all), "nothing invented", sourceLocation: sourceLocation)
        // Stopping closes the sockets while the exchange keeps sending: what was in flight
        // then is nobody's loss, so the tail after the last captured message is not judged.
        let end = captured.last ?? .max
        let healthyUnion = healthy.reduce(into: Set<Int64>()) { $0.formUnion(sent[$1].filter { $0 <= end }) }
        let lost = healthyUnion.subtracting(capturedSet)
        #expect(lost.count <= late, "lost \(lost.count) delivered message(s), late \(late)", sourceLocation: sourceLocation)
        #expect(captured.count > 1000, "the capture kept running (\(captured.count) lines)", sourceLocation: sourceLocation)
    }

    /// Between the first and last captured message, every message the exchange produced is
    /// either in the capture, or inside a `disconnect` ledger range, and no captured message
    /// is inside one: the ledger says exactly what was lost.
    func expectLedgerIsExact(sourceLocation: SourceLocation = #_sourceLocation) {
        guard let first = captured.first, let last = captured.last else {
            Issue.record("empty capture", sourceLocation: sourceLocation)
            return
        }
        let ranges = disconnectGaps
        let capturedSet = Set(captured)
        let missing = generated.filter { $0 > first && $0 < last && !capturedSet.contains($0) }
        let unrecorded = missing.filter { id in !ranges.contains { $0.contains(id) } }
        #expect(unrecorded.count <= late, "\(unrecorded.count) lost message(s) not in the ledger", sourceLocation: sourceLocation)
        #expect(!captured.contains { id in ranges.contains { $0.contains(id) } }, "no captured message is in a gap", sourceLocation: sourceLocation)
        let recorded = generated.filter { id in ranges.contains { $0.contains(id) } }
        #expect(recorded.allSatisfy { !capturedSet.contains($0) }, sourceLocation: sourceLocation)
        #expect(!missing.isEmpty || ranges.isEmpty, sourceLocation: sourceLocation)
    }
}
