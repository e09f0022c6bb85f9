import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape
@testable import TickTapeTools

/// Telemetry measured end to end: the real engine racing three connections against the
/// simulator, where connection 0 has no extra delay, connection 2 has 500 µs and
/// connection 1 has 1 ms (so connection 2 is the runner-up whose lag is measured).
@Suite(.serialized) struct TelemetryAgainstSimulatorTests {
    /// Tolerance for a measured lag against the simulator's configured delay: the simulator
    /// batches sends in 100 µs windows and both processes share two CPUs with the build.
    static let lagTolerance: Int64 = 150_000

    /// Runs the race until every message was sent, calls `body` with the engine still running,
    /// then stops everything.
    static func race(
        messages total: Int = 8_000, rate: Double = 2_000,
        _ body: (CaptureEngine, MetricsEndpoint) async throws -> Void,
        stopped: (String) throws -> Void = { _ in }
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var sim = SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(rate: rate, count: total)))
        sim.startWhenConnected = 3
        sim.seed = 7
        sim.profiles = [
            ConnectionProfile(delay: .none),
            ConnectionProfile(delay: .constant(.milliseconds(1))),
            ConnectionProfile(delay: .constant(.microseconds(500))),
        ]
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        var config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "10ms""#,
            captures: """
                [[capture]]
                name = "race"
                url = "ws://127.0.0.1:\(port)/public/stream?streams=btcusdt@bookTicker"
                connections = 3
                """)
        config.telemetry = TelemetryConfig(
            interval: .milliseconds(250), listen: ListenAddress(host: "127.0.0.1", port: 0), logSummaries: false,
            pingInterval: .seconds(1), arrivals: true)
        // As the daemon's ServiceGroup orders them: endpoint, telemetry, engine; stopped in reverse.
        let engine = try CaptureEngine(config: config, logger: testLogger)
        let telemetry = try #require(engine.telemetry)
        let endpoint = MetricsEndpoint(listen: try #require(config.telemetry.listen), logger: testLogger) {
            telemetry.renderMetrics()
        }
        try await endpoint.open()
        telemetry.start()
        try await engine.start()
        let sentAll = await eventually(timeout: .seconds(60)) { simulator.messageCount >= total }
        #expect(sentAll)
        // Two more windows, so the last messages are in the cumulative figures.
        try await Task.sleep(for: .milliseconds(700))
        try await body(engine, endpoint)
        await engine.stop()
        await telemetry.stop()
        await endpoint.close()
        try await simulator.stop()
        try stopped(dir.path)
    }

    @Test func theUndelayedConnectionWinsAndTheDelayedOneLagsByItsDelay() async throws {
        // The simulator shares the CPUs with this process and with other suites: when it is
        // starved it sends late and both delays come out wrong together. Connection 1's 1 ms is
        // the calibration: a run where neither delayed connection shows its delay is run again
        // (at most 3 times); a run where the simulator kept time must show both.
        for attempt in 1...3 {
            var disturbed = false
            try await Self.race { engine, _ in
                let s = try #require(engine.telemetry?.snapshots["race"])
                let c = s.connections.sorted { $0.connection < $1.connection }
                try #require(c.count == 3)
                let lag2 = try #require(c[2].lag.cumulative.p50)
                let lag1 = try #require(c[1].lag.cumulative.p50)
                print(
                    "TELEMETRY attempt \(attempt): win share \(c.map { $0.winShareTotal ?? -1 }), lag p50 ns \(c.map { $0.lag.cumulative.p50 ?? -1 }), "
                        + "lag p99 ns \(c.map { $0.lag.cumulative.p99 ?? -1 }), latency p50 µs merged \(s.mergedEvent.cumulative.p50 ?? -1) "
                        + "per connection \(c.map { $0.latencyEvent.cumulative.p50 ?? -1 }), ping rtt ns \(c.map { $0.pingRoundTripNanos ?? -1 })")
                if abs(lag2 - 500_000) > Self.lagTolerance && abs(lag1 - 1_000_000) > Self.lagTolerance && attempt < 3 {
                    disturbed = true
                    return
                }
                let share0 = try #require(c[0].winShareTotal)
                // 0.99 on a quiet machine; each event-loop stall longer than 500 µs lets the sockets
                // be read in any order, so on a 2-CPU host shared with builds it drops to ~0.9.
                #expect(share0 > 0.8, "connection 0 (no delay) wins nearly every race: \(share0)")
                #expect(share0 > (c[1].winShareTotal ?? 1) + (c[2].winShareTotal ?? 1))
                #expect((c[2].winShareTotal ?? 1) < 0.1, "connection 2 (+500 µs) seldom wins")
                #expect(abs(lag2 - 500_000) <= Self.lagTolerance, "connection 2 lag p50 \(lag2) ns vs 500 µs")
                #expect(abs(lag1 - 1_000_000) <= Self.lagTolerance, "connection 1 lag p50 \(lag1) ns vs 1 ms")
                let merged = try #require(s.mergedEvent.cumulative.p50)
                let latency0 = try #require(c[0].latencyEvent.cumulative.p50)
                let latency2 = try #require(c[2].latencyEvent.cumulative.p50)
                #expect(abs(merged - latency0) <= 100, "merged latency p50 \(merged) µs follows connection 0's \(latency0) µs")
                #expect(latency2 - merged >= 350, "connection 2 is ~500 µs behind the merged stream: \(latency2) vs \(merged)")
                for k in 0..<3 {
                    let rtt = try #require(c[k].pingRoundTripNanos, "connection \(k) measured a ping round trip")
                    #expect(rtt > 0 && rtt < 50_000_000)
                    #expect(c[k].connected && c[k].uptimeSeconds > 1)
                }
            }
            if !disturbed { return }
        }
    }

    /// Fetches `/metrics` and parses it with the reference parser (Python `prometheus_client`),
    /// returning every sample as (name, labels, value); NaN comes back as nil.
    static func scrape(_ address: ListenAddress) throws -> [(name: String, labels: [String: String], value: Double?)] {
        let script = """
            import json, math, sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
            out = []
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    out.append([s.name, s.labels, None if math.isnan(s.value) else s.value])
            print(json.dumps(out))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, "http://\(address)/metrics"]
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(
            p.terminationStatus == 0,
            "the exposition must parse with prometheus_client (scripts/bootstrap.sh installs it): \(errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[Any]])
        return rows.map { row in
            (row[0] as? String ?? "", row[1] as? [String: String] ?? [:], row[2] as? Double)
        }
    }

    @Test func metricsEndpointServesAnExpositionThePrometheusParserAcceptsWithEveryConnection() async throws {
        try await Self.race(messages: 6_000) { _, endpoint in
            let address = try #require(endpoint.address)
            #expect(address.host == "127.0.0.1" && address.port > 0)
            let samples = try Self.scrape(address)
            func matches(_ sample: (name: String, labels: [String: String], value: Double?), _ name: String, _ labels: [String: String]) -> Bool {
                sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
            }
            func value(_ name: String, _ labels: [String: String]) -> Double? {
                samples.first { matches($0, name, labels) }?.value
            }
            func exists(_ name: String, _ labels: [String: String]) -> Bool {
                samples.contains { matches($0, name, labels) }
            }
            var shares = 0.0
            for k in ["0", "1", "2"] {
                let id = ["capture": "race", "connection": k]
                let share = try #require(value("ticktape_connection_win_share_ratio", id.merging(["window": "cumulative"]) { a, _ in a }))
                #expect((0...1).contains(share))
                shares += share
                #expect((value("ticktape_connection_messages_total", id) ?? 0) > 1000)
                #expect(value("ticktape_connection_up", id) == 1)
                #expect((value("ticktape_connection_uptime_seconds", id) ?? 0) > 1)
                #expect((value("ticktape_connection_ring_capacity", id) ?? 0) == 65536)
                #expect(exists("ticktape_connection_ring_depth_max", id))
                #expect(value("ticktape_connection_ring_overflows_total", id) == 0)
                #expect(exists("ticktape_connection_reconnects_total", id))
                #expect(exists("ticktape_connection_stale_events_total", id))
                #expect(exists("ticktape_connection_late_copies_total", id))
                #expect((value("ticktape_connection_ping_rtt_seconds", id) ?? 1) < 0.05)
                for q in ["0.5", "0.9", "0.99", "0.999"] {
                    let latency = value(
                        "ticktape_latency_event_microseconds", id.merging(["window": "cumulative", "quantile": q]) { a, _ in a })
                    #expect(latency.map { abs($0) < 1_000_000 } == true, "connection \(k) latency q\(q) is loopback-sane")
                }
                #expect(exists("ticktape_alarm", id.merging(["alarm": "lag_p99"]) { a, _ in a }))
            }
            #expect(abs(shares - 1) < 0.05, "win shares add up to the merged stream: \(shares)")
            let lag2 = try #require(
                value("ticktape_lag_nanoseconds", ["connection": "2", "window": "cumulative", "quantile": "0.5"]))
            #expect(lag2 > 0 && lag2 < 2_000_000, "connection 2 lags by its delay, in ns: \(lag2)")
            #expect(value("ticktape_lag_max_nanoseconds", ["connection": "1", "window": "cumulative"]) != nil)
            #expect(exists("ticktape_latency_event_microseconds", ["connection": "merged", "window": "interval", "quantile": "0.99"]))
            #expect((value("ticktape_capture_messages_total", ["capture": "race"]) ?? 0) > 1000)
            #expect(exists("ticktape_clock_synchronized", [:]))
            #expect(exists("ticktape_clock_max_error_seconds", [:]))
            print("METRICS \(samples.count) samples parsed by prometheus_client")
        }
    }

    @Test func theArrivalsFileHasEveryMessageOnEveryConnectionAndReportsChartIt() async throws {
        let total = 4_000
        try await Self.race(messages: total, { _, _ in }) { dir in
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/race").filter { $0.hasSuffix(".arrivals.csv") }
            let file = "\(dir)/race/\(try #require(files.first))"
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "stream,id,E,arrival_ns_0,arrival_ns_1,arrival_ns_2")
            #expect(lines.count - 1 == total, "one line per message")
            let complete = lines.dropFirst().filter { !$0.hasSuffix(",") && !$0.contains(",,") }
            #expect(complete.count == total, "every connection delivered every message (no drops configured)")
            let table = try ArrivalsTable.read(path: file)
            #expect(table.isArrivals && table.messages == total && table.series.count == 3)
            // By read stamp, not merger order: when the loaded host stalls an event loop, the
            // sockets are read in arbitrary order, so this share is lower than the merger's.
            #expect(table.wins[0] == table.wins.max() && table.wins[0] > total / 2, "first stamps: \(table.wins)")
            let lag2 = try #require(LatencyDistribution(label: "2", samples: table.lag[2]).quantile(0.5))
            #expect(lag2 > 0 && lag2 < 2_000, "connection 2's lag p50 from the file, µs: \(lag2)")
            let svg = LatencyChart.svg(table, title: "race")
            #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
            #expect(svg.components(separatedBy: "<polyline").count - 1 == 6, "two panels × three connections")
            #expect(svg.contains("connection 2"))
            if let out = ProcessInfo.processInfo.environment["TICKTAPE_REPORT_OUT"] {
                try svg.write(toFile: out, atomically: true, encoding: .utf8)
                try? FileManager.default.removeItem(atPath: out + ".csv")
                try FileManager.default.copyItem(atPath: file, toPath: out + ".csv")
            }
        }
    }
}
