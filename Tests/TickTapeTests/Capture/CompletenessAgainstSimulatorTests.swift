import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Issue #11's promise, end to end: the capture holds everything any connection delivered.
///
/// Racing connections with independent drops (2–10 %) and independent delay distributions
/// spread over milliseconds, so arrivals cross all the time. Ground truth is the simulator's own
/// send log per connection, never the engine: per stream, the capture must equal the union of
/// what the connections were sent, byte for byte, strictly increasing; every ledger entry must
/// name only ids no connection delivered, and every id of a continuity stream that no
/// connection delivered must be in the ledger.
///
/// The bound stated here is `hole_wait = "50ms"` (so late copies within 200 ms are placed): the
/// debug build shares two cores with the simulator, and a loaded machine descheduling a loop
/// for tens of milliseconds is not what these tests are about. `"auto"` at production rates is
/// checked on the release build by `scripts/completeness-check`.
@Suite(.serialized) struct CompletenessAgainstSimulatorTests {
    /// What one run measured, printed for the issue's closing note.
    struct Outcome {
        var missing: [String: Int] = [:]
        var holesFilled = 0
        var holesExpired = 0
        var latePlaced = 0
        var lateDropped = 0
        var holdP50 = 0
        var holdP99 = 0
        var holdMax = 0
        var holeWait = 0
    }

    static let fixtureStreams = "btcusdt@bookTicker/btcusdt@depth@0ms/btcusdt@trade"

    @discardableResult
    func run(
        source: MessageSource, streams: String, profiles: [ConnectionProfile], seed: UInt64, label: String
    ) async throws -> Outcome {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let n = profiles.count
        var sim = SimulatorConfiguration(source: source)
        sim.seed = seed
        sim.startWhenConnected = n
        sim.profiles = profiles
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let total = try #require(simulator.sourceMessageCount)
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(port)/public/stream?streams=\(streams)", connections: n,
                extra: """
                    hole_wait = "50ms"
                    books = false
                    """))
        let engine = try CaptureEngine(config: config, logger: testLogger)
        try await engine.start()
        let capture = engine.captures[0]
        let sentAll = await eventually(timeout: .seconds(60)) { simulator.messageCount >= total }
        // Every copy the simulator wrote has reached its session (loopback loses nothing).
        let sent = (0..<n).map { simulator.sentMessages(connection: $0).count }
        let receivedAll = await eventually(timeout: .seconds(30)) {
            zip(capture.sessions, sent).allSatisfy { $0.statistics.framesReceived.load(ordering: .relaxed) >= $1 }
        }
        await engine.stop()
        try await simulator.stop()
        #expect(sentAll && receivedAll)

        // Ground truth: the union of what each connection was sent, per stream, in send order.
        var delivered = Set<Int>()
        var perConnection: [Set<Int>] = []
        for k in 0..<n {
            let indices = Set(simulator.sentMessages(connection: k))
            perConnection.append(indices)
            delivered.formUnion(indices)
        }
        #expect(perConnection.allSatisfy { $0.count < total }, "every connection dropped some")
        var expected: [String: [String]] = [:]
        var missingFrames: [String: [String]] = [:]
        for i in 0..<total {
            let frame = simulator.frame(message: i, combined: true)
            let stream = Self.streamName(frame)
            if delivered.contains(i) { expected[stream, default: []].append(frame) } else { missingFrames[stream, default: []].append(frame) }
        }

        let lines = try readCaptureLines("\(dir.path)/c")
        var captured: [String: [String]] = [:]
        for line in lines {
            let frame = try #require(splitLine(line)).1
            captured[Self.streamName(frame), default: []].append(frame)
        }
        var outcome = Outcome()
        for (stream, frames) in expected {
            let got = captured[stream] ?? []
            let gotSet = Set(got)
            outcome.missing[stream] = frames.filter { !gotSet.contains($0) }.count
            let firstDifference = Array(zip(got, frames)).firstIndex { $0 != $1 } ?? min(got.count, frames.count)
            #expect(
                got == frames,
                "\(label) \(stream): the capture is the union of what was delivered, in order (captured \(got.count), delivered \(frames.count), first difference at \(firstDifference))"
            )
            let ids = got.map { Self.id(of: $0) }
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "\(label) \(stream): strictly increasing")
        }

        // The ledger: only ids nobody delivered, and every such id of a continuity stream.
        let ledger = (try? String(contentsOfFile: "\(dir.path)/c/gaps.jsonl", encoding: .utf8)) ?? ""
        var ranges: [String: [ClosedRange<Int64>]] = [:]
        for line in ledger.split(separator: "\n") {
            let gap = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(gap["cause"] as? String == "sequence", "\(label): no outage on loopback: \(line)")
            let stream = try #require(gap["stream"] as? String)
            let first = try #require((gap["first_missing"] as? NSNumber)?.int64Value)
            let last = try #require((gap["last_missing"] as? NSNumber)?.int64Value)
            ranges[stream, default: []].append(first...last)
        }
        for (stream, list) in ranges {
            let named = (expected[stream] ?? []).map(Self.id).filter { id in list.contains { $0.contains(id) } }
            #expect(named.isEmpty, "\(label) \(stream): ledger names \(named.count) delivered ids, first \(named.prefix(5)) (\(list.count) entries)")
        }
        for (stream, frames) in missingFrames where stream.contains("@trade") || stream.contains("@depth") {
            let list = ranges[stream] ?? []
            let captured = expected[stream] ?? []
            guard let low = captured.first.map(Self.id), let high = captured.last.map(Self.id) else { continue }
            // Before the first or after the last line the stream's rule cannot know.
            let unnamed = frames.map(Self.id).filter { id in id > low && id < high && !list.contains { $0.contains(id) } }
            #expect(unnamed.isEmpty, "\(label) \(stream): \(unnamed.count) undelivered ids missing from the ledger, first \(unnamed.prefix(5))")
        }

        let st = capture.merger.statistics
        outcome.holesFilled = st.holesFilled.load(ordering: .relaxed)
        outcome.holesExpired = st.holesExpired.load(ordering: .relaxed)
        outcome.latePlaced = st.latePlaced.load(ordering: .relaxed)
        outcome.lateDropped = st.lateDropped.load(ordering: .relaxed)
        outcome.holdP50 = st.holdDelayP50Nanos.load(ordering: .relaxed)
        outcome.holdP99 = st.holdDelayP99Nanos.load(ordering: .relaxed)
        outcome.holdMax = st.holdDelayMaxNanos.load(ordering: .relaxed)
        outcome.holeWait = st.holeWaitNanos.load(ordering: .relaxed)
        #expect(outcome.lateDropped == 0, "\(label): every late copy came within the bound")
        let undelivered = missingFrames.mapValues(\.count)
        print(
            "completeness \(label): total \(total), sent \(sent), undelivered by all \(undelivered), missing from capture \(outcome.missing), holes filled \(outcome.holesFilled), expired \(outcome.holesExpired), late placed \(outcome.latePlaced), dropped \(outcome.lateDropped), hold wait p50/p99/max \(outcome.holdP50 / 1000)/\(outcome.holdP99 / 1000)/\(outcome.holdMax / 1000) µs, hole_wait \(outcome.holeWait / 1000) µs"
        )
        return outcome
    }

    static func streamName(_ frame: String) -> String {
        guard let start = frame.range(of: #""stream":""#), let end = frame[start.upperBound...].firstIndex(of: "\"") else {
            return "?"
        }
        return String(frame[start.upperBound..<end])
    }

    /// The id the merger orders the stream by, read with the engine's scanner.
    static func id(of frame: String) -> Int64 {
        Array(frame.utf8).withUnsafeBytes { bytes in
            let s = FrameScanner.scan(bytes)
            return s.tradeID ?? s.updateID ?? s.eventTime ?? -1
        }
    }

    static func fixturePath() throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/usdm_btcusdt_head", withExtension: "gz")).path
    }

    /// The issue's case: the real recording to 2 connections, each dropping 8 % with up to 2 ms
    /// of independent jitter.
    @Test func twoConnectionsEightPercentDropsMillisecondJitterOnTheRecording() async throws {
        let profiles = [
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(2)), dropProbability: 0.08),
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(2)), dropProbability: 0.08),
        ]
        let o = try await run(
            source: .recording(path: try Self.fixturePath(), pace: .scaled(20)), streams: Self.fixtureStreams,
            profiles: profiles, seed: 11, label: "recording 2×8%")
        #expect(o.holesFilled > 0, "holes were filled from the other connection")
    }

    @Test func fourConnectionsTwoToTenPercentDropsOnTheRecording() async throws {
        let profiles = [
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(1)), dropProbability: 0.02),
            ConnectionProfile(delay: .exponential(base: .microseconds(100), mean: .milliseconds(1)), dropProbability: 0.05),
            ConnectionProfile(delay: .uniform(.microseconds(200), .milliseconds(3)), dropProbability: 0.07),
            ConnectionProfile(delay: .uniform(.zero, .milliseconds(4)), dropProbability: 0.10),
        ]
        try await run(
            source: .recording(path: try Self.fixturePath(), pace: .scaled(20)), streams: Self.fixtureStreams,
            profiles: profiles, seed: 12, label: "recording 4×2-10%")
    }

    /// Synthetic trade (`t` contiguous) and USD-M depth (`pu` chain) at 2,500 msg/s in all: the
    /// debug build's pace (20,000 msg/s and more run on the release build in
    /// `scripts/completeness-check`, part of `make test`).
    @Test(arguments: [2, 4])
    func syntheticTradeAndDepth(connections: Int) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = "\(dir.path)/trade-depth.txt"
        try Self.writeTradeAndDepth(path: path, count: 10_000, intervalNanos: 400_000)
        let drops = connections == 2 ? [0.08, 0.08] : [0.02, 0.05, 0.08, 0.10]
        let profiles = drops.enumerated().map { k, p in
            ConnectionProfile(
                delay: k % 2 == 0
                    ? .uniform(.zero, .milliseconds(2)) : .exponential(base: .microseconds(100), mean: .microseconds(700)),
                dropProbability: p)
        }
        let o = try await run(
            source: .recording(path: path, pace: .original), streams: "btcusdt@trade/btcusdt@depth@0ms",
            profiles: profiles, seed: UInt64(20 + connections), label: "synthetic \(connections) connections")
        // How many holes the other connections fill (rather than arriving first) depends on
        // scheduling; that some are filled shows the race was exercised.
        #expect(o.holesFilled > 0)
    }

    /// `<ns> <frame>` lines: trades and depth diffs alternating, `intervalNanos` apart.
    static func writeTradeAndDepth(path: String, count: Int, intervalNanos: Int64) throws {
        var text = ""
        text.reserveCapacity(count * 200)
        var ns: Int64 = 1_723_161_255_030_314_667
        var t: Int64 = 5_266_583_935
        var u: Int64 = 5_123_107_837_557
        for i in 0..<count {
            let ms = ns / 1_000_000
            if i % 2 == 0 {
                t += 1
                text += #"\#(ns) {"stream":"btcusdt@trade","data":{"e":"trade","E":\#(ms),"T":\#(ms),"s":"BTCUSDT","t":\#(t),"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#
            } else {
                let pu = u
                let first = u + 1
                u += 1 + Int64(i % 7)
                text += #"\#(ns) {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":\#(ms),"T":\#(ms),"s":"BTCUSDT","U":\#(first),"u":\#(u),"pu":\#(pu),"b":[["61800.20","0.014"]],"a":[["61800.30","3.330"]]}}"#
            }
            text += "\n"
            ns += intervalNanos
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
