import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The PostgreSQL sink against a real PostgreSQL 15 and a capture from the simulator: every
/// table holds exactly what the capture files hold (0 missing, 0 duplicated), also across an
/// outage of PostgreSQL, and bad settings are reported while capture goes on.
@Suite(.serialized, .enabled(if: PostgresServer.binaries != nil, "PostgreSQL 15 is not installed (postgresql-15)"))
struct PostgresSinkTests {
    static func sinkBlock(_ pg: PostgresServer, passwordFile: String, extra: String = "") -> String {
        """
        [[sink]]
        name = "pg"
        kind = "postgres"
        url = "\(pg.url)?sslmode=disable"
        password_file = "\(passwordFile)"
        batch_size = 500
        batch_interval = "50ms"
        retry_max = "1s"
        bars = ["1s"]
        \(extra)
        """
    }

    /// Starts a simulator replaying `count` synthetic lines `interval` apart, and an engine capturing them.
    static func startCapture(
        dir: String, count: Int, interval: Duration, sink: String, storage: String = #"flush_interval = "20ms""#
    ) async throws -> (
        ExchangeSimulator, CaptureEngine, TickTapeConfig
    ) {
        let recording = dir + "/recording.txt"
        try MarketRecording.write(path: recording, count: count, intervalNanos: interval.nanoseconds)
        var sim = SimulatorConfiguration(source: .recording(path: recording, pace: .original))
        sim.startWhenConnected = 1
        let simulator = try ExchangeSimulator(configuration: sim)
        let port = try await simulator.start()
        let config = try makeConfig(
            dataDir: dir + "/data", storage: storage,
            captures: CaptureAgainstSimulatorTests.captureBlock(
                name: "c", url: "ws://127.0.0.1:\(port)/public/stream?streams=\(MarketRecording.streams)", connections: 1,
                extra: "books = false\nbars = []") + "\n" + sink)
        let engine = try CaptureEngine(config: config, logger: testLogger, retentionHolds: RetentionHolds())
        try await engine.start()
        return (simulator, engine, config)
    }

    static func expectExact(_ pg: PostgresServer, captureDirectory: String) throws {
        let captured = try CapturedRows(directory: captureDirectory)
        let (stored, counts) = try CapturedRows.inDatabase(pg)
        #expect(captured.bookTickers.count > 1000 && captured.trades.count > 500 && captured.aggTrades.count > 100)
        #expect(stored.bookTickers == captured.bookTickers, "book_ticker: \(captured.bookTickers.subtracting(stored.bookTickers).count) missing, \(stored.bookTickers.subtracting(captured.bookTickers).count) extra")
        #expect(stored.trades == captured.trades, "trades: \(captured.trades.subtracting(stored.trades).count) missing")
        #expect(stored.aggTrades == captured.aggTrades, "agg_trades: \(captured.aggTrades.subtracting(stored.aggTrades).count) missing")
        #expect(stored.snapshotBuckets == captured.snapshotBuckets)
        // No duplicates: as many rows as distinct keys.
        #expect(counts["book_ticker"] == captured.bookTickers.count)
        #expect(counts["trades"] == captured.trades.count)
        #expect(counts["agg_trades"] == captured.aggTrades.count)
        #expect(counts["snapshots"] == captured.snapshotBuckets.count)
        // Snapshots: mid and spread are the BBO's, exactly (numeric, no float).
        #expect(try pg.count("SELECT count(*) FROM snapshots WHERE mid <> (best_bid_px + best_ask_px) / 2 OR spread <> best_ask_px - best_bid_px") == 0)
        // Bars equal an independent date_bin aggregation of the trades table, bar for bar;
        // only each symbol's last (still open) bar is missing.
        let bucketed = """
            SELECT symbol, date_bin('1 second', ts, timestamptz 'epoch') AS b, count(*) AS n, sum(quantity) AS v,
              min(price) AS lo, max(price) AS hi,
              (array_agg(price ORDER BY trade_id))[1] AS o, (array_agg(price ORDER BY trade_id DESC))[1] AS c
            FROM trades GROUP BY 1, 2
            """
        let buckets = try pg.count("SELECT count(*) FROM (\(bucketed)) x")
        let symbols = try pg.count("SELECT count(DISTINCT symbol) FROM trades")
        #expect(counts["bars"] == buckets - symbols)
        let matching = try pg.count(
            """
            SELECT count(*) FROM bars JOIN (\(bucketed)) x ON x.symbol = bars.symbol AND x.b = bars.ts
            WHERE bars."interval" = '1s' AND x.n = bars.trades AND x.v = bars.volume AND x.lo = bars.low AND x.hi = bars.high
              AND x.o = bars.open AND x.c = bars.close
            """)
        #expect(matching == counts["bars"])
        // Prices are stored digit for digit.
        #expect(try pg.count("SELECT count(*) FROM trades WHERE price::text !~ '^[0-9]+\\.[0-9]{2}$'") == 0)
    }

    @Test func captureFromTheSimulatorLandsInPostgresExactlyAndSurvivesA30SecondOutage() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let count = 12_000
        let (simulator, engine, config) = try await Self.startCapture(
            dir: dir.path, count: count, interval: .microseconds(700), sink: Self.sinkBlock(pg, passwordFile: dir.path + "/pgpass"))
        let holds = engine.retentionHolds
        let sinks = try SinkService(config: config, holds: holds, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually { stats.rowsWritten.load(ordering: .relaxed) > 1000 })

        // PostgreSQL goes away mid-stream; the capture goes on, the sink retries.
        try pg.stopServer()
        let linesAtOutage = engine.captures[0].writer.linesWritten.load(ordering: .relaxed)
        #expect(await eventually { stats.errors.load(ordering: .relaxed) > 0 && !stats.connected.load(ordering: .relaxed) })
        #expect(await eventually { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) > linesAtOutage + 1000 })
        // The issue's outage: PostgreSQL down for 30 s (the length of the outage, not a
        // synchronisation); the recording ends meanwhile, so the sink catches up afterwards.
        try await Task.sleep(for: .seconds(30))
        let linesDuringOutage = engine.captures[0].writer.linesWritten.load(ordering: .relaxed)
        let connectedDuringOutage = stats.connected.load(ordering: .relaxed)
        #expect(linesDuringOutage > linesAtOutage + 1000, "capture goes on while PostgreSQL is down")
        #expect(!connectedDuringOutage)
        try pg.start()

        #expect(await eventually(timeout: .seconds(60)) { simulator.messageCount >= count })
        #expect(await eventually(timeout: .seconds(30)) { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= count })
        await engine.stop()
        try await simulator.stop()
        let captureDirectory = dir.path + "/data/c"
        let lines = try readCaptureLines(captureDirectory).count
        #expect(lines == count, "capture unaffected by the sink's outage: every message captured")
        #expect(await eventually(timeout: .seconds(60)) { stats.linesConsumed.load(ordering: .relaxed) >= lines })
        await sinks.stop()
        #expect(stats.retries.load(ordering: .relaxed) > 0)
        try Self.expectExact(pg, captureDirectory: captureDirectory)
        #expect(try pg.count("SELECT max(version) FROM ticktape_schema") == PostgresSchema.version)
        #expect(try pg.count("SELECT count(*) FROM pg_partitioned_table") == 5)
    }

    /// A user that may connect but not create tables (PostgreSQL 15's default for `public`):
    /// the sink says which right is missing, capture goes on, and once the right is granted the
    /// sink loads everything, exactly.
    @Test func aUserWithoutRightsIsToldWhatItLacksAndLoadsEverythingOnceGranted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        _ = try pg.query("CREATE ROLE loader LOGIN PASSWORD '\(PostgresServer.password)'")
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let sink = Self.sinkBlock(pg, passwordFile: dir.path + "/pgpass")
            .replacingOccurrences(of: "postgres://\(PostgresServer.superuser)@", with: "postgres://loader@")
        let count = 12_000
        let (simulator, engine, config) = try await Self.startCapture(dir: dir.path, count: count, interval: .microseconds(500), sink: sink)
        let sinks = try SinkService(config: config, holds: engine.retentionHolds, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        let refused = await eventually { (stats.lastError ?? "").contains("SQLSTATE 42501") }
        #expect(refused, "\(stats.lastError ?? "no error")")
        #expect(stats.lastError?.contains("lacks a privilege") == true, "\(stats.lastError ?? "")")
        #expect(stats.rowsWritten.load(ordering: .relaxed) == 0)
        #expect(sinks.statusSummary()?.contains("SINK pg DOWN") == true)

        _ = try pg.query("GRANT CREATE ON SCHEMA public TO loader")
        #expect(await eventually(timeout: .seconds(60)) { simulator.messageCount >= count })
        #expect(await eventually(timeout: .seconds(30)) { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= count })
        await engine.stop()
        try await simulator.stop()
        let captureDirectory = dir.path + "/data/c"
        let lines = try readCaptureLines(captureDirectory).count
        #expect(lines == count)
        #expect(await eventually(timeout: .seconds(60)) { stats.linesConsumed.load(ordering: .relaxed) >= lines })
        await sinks.stop()
        try Self.expectExact(pg, captureDirectory: captureDirectory)
        #expect(try pg.query("SELECT tableowner FROM pg_tables WHERE tablename = 'trades'") == ["loader"])
    }

    @Test func aRestartedSinkResumesFromItsCursorWithoutDuplicates() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pgpass", atomically: true, encoding: .utf8)
        let count = 6_000
        let (simulator, engine, config) = try await Self.startCapture(
            dir: dir.path, count: count, interval: .microseconds(500), sink: Self.sinkBlock(pg, passwordFile: dir.path + "/pgpass"))
        var sinks = try SinkService(config: config, holds: nil, logger: testLogger)
        sinks.start()
        var stats = try #require(sinks.statistics.first)
        #expect(await eventually { stats.rowsWritten.load(ordering: .relaxed) > 500 })
        // An earlier cursor, as a crash between a commit and its cursor save leaves it: the
        // replayed rows must be absorbed by the conflicts, the open bars continued exactly.
        let store = SinkCursorStore(dataDirectory: dir.path + "/data", sink: "pg")
        let early = try #require(try store.load(capture: "c"))
        let rowsAtEarly = stats.rowsWritten.load(ordering: .relaxed)
        #expect(await eventually { stats.rowsWritten.load(ordering: .relaxed) > rowsAtEarly + 1500 })
        await sinks.stop()
        try store.save(early, capture: "c")

        #expect(await eventually(timeout: .seconds(60)) { simulator.messageCount >= count })
        #expect(await eventually(timeout: .seconds(30)) { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= count })
        await engine.stop()
        try await simulator.stop()
        sinks = try SinkService(config: config, holds: nil, logger: testLogger)
        sinks.start()
        stats = try #require(sinks.statistics.first)
        let captureDirectory = dir.path + "/data/c"
        let captured = try CapturedRows(directory: captureDirectory)
        #expect(await eventually(timeout: .seconds(60)) {
            ((try? pg.count("SELECT count(*) FROM book_ticker")) ?? 0) >= captured.bookTickers.count && stats.lagMessages.load(ordering: .relaxed) == 0
        })
        await sinks.stop()
        try Self.expectExact(pg, captureDirectory: captureDirectory)
    }

    /// The offset of the line start at or before `offset` in the segment's plain text.
    static func lineStart(_ directory: String, _ segment: String, before offset: Int64) throws -> Int64 {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let bytes: [UInt8]
        if names.contains(segment + ".tape.gz") {
            bytes = try gunzip(directory + "/" + segment + ".tape.gz")
        } else {
            let plain = names.first { $0.hasPrefix(segment + ".tape") }!
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + plain)))
        }
        var i = Int(min(offset, Int64(bytes.count)))
        while i > 0 && bytes[i - 1] != UInt8(ascii: "\n") { i -= 1 }
        return Int64(i)
    }

    @Test func wrongPasswordAndUnreachableHostAreReportedAndCaptureGoesOn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer()
        defer { pg.stop() }
        try "not-the-password".write(toFile: dir.path + "/wrong", atomically: true, encoding: .utf8)
        let unreachable = try PostgresServer.freePort()
        let sinks = """
            \(Self.sinkBlock(pg, passwordFile: dir.path + "/wrong"))
            [[sink]]
            name = "nowhere"
            kind = "postgres"
            url = "postgres://ticktape@127.0.0.1:\(unreachable)/market"
            connect_timeout = "1s"
            retry_max = "1s"
            """
        let (simulator, engine, config) = try await Self.startCapture(dir: dir.path, count: 3_000, interval: .microseconds(500), sink: sinks)
        let service = try SinkService(config: config, holds: engine.retentionHolds, logger: testLogger)
        service.start()
        let wrong = service.statistics[0]
        let nowhere = service.statistics[1]
        #expect(await eventually { (wrong.lastError ?? "").contains("password authentication failed") })
        #expect(wrong.lastError?.contains("SQLSTATE 28P01") == true)
        #expect(wrong.lastError?.contains("not-the-password") == false)
        #expect(await eventually { (nowhere.lastError ?? "").contains("cannot connect to 127.0.0.1:\(unreachable)") })
        #expect(service.statusSummary()?.contains("SINK nowhere DOWN") == true)
        #expect(await eventually(timeout: .seconds(30)) { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= 3_000 })
        #expect(wrong.rowsWritten.load(ordering: .relaxed) == 0)
        // Retention keeps what these sinks have not loaded.
        #expect(engine.retentionHolds?.earliest(capture: "c") == "")
        await service.stop()
        await engine.stop()
        try await simulator.stop()
    }

    /// TLS against a real PostgreSQL with a certificate for `localhost` from a CA of the test's
    /// own: verified when asked (`verify-full` with the CA), refused when the name does not
    /// match or the CA is not trusted (`require` checks too, unlike libpq), and the default
    /// `prefer` is plain TCP on loopback. What each connection really is comes from the server
    /// (`pg_stat_ssl`), not from the sink.
    @Test func tlsIsAlwaysVerifiedAndThePlainDefaultIsLoopbackOnly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let pg = try PostgresServer(tls: true)
        defer { pg.stop() }
        try PostgresServer.password.write(toFile: dir.path + "/pw", atomically: true, encoding: .utf8)
        _ = try pg.query("CREATE DATABASE viatls")
        _ = try pg.query("CREATE DATABASE viaplain")
        let user = PostgresServer.superuser
        func sink(_ name: String, _ url: String) -> String {
            """
            [[sink]]
            name = "\(name)"
            kind = "postgres"
            url = "\(url)"
            password_file = "\(dir.path)/pw"
            batch_size = 500
            batch_interval = "50ms"
            connect_timeout = "2s"
            retry_max = "1s"
            """
        }
        let sinks = [
            sink("verified", "postgres://\(user)@localhost:\(pg.port)/viatls?sslmode=verify-full&sslrootcert=\(pg.caFile)"),
            sink("wrongname", "postgres://\(user)@127.0.0.1:\(pg.port)/viatls?sslmode=verify-full&sslrootcert=\(pg.caFile)"),
            sink("untrusted", "postgres://\(user)@127.0.0.1:\(pg.port)/viatls?sslmode=require"),
            sink("loopback", "postgres://\(user)@127.0.0.1:\(pg.port)/viaplain"),
        ].joined(separator: "\n")
        let (simulator, engine, config) = try await Self.startCapture(dir: dir.path, count: 3_000, interval: .microseconds(500), sink: sinks)
        let service = try SinkService(config: config, holds: engine.retentionHolds, logger: testLogger)
        service.start()
        let s = service.statistics
        let loaded = await eventually(timeout: .seconds(60)) {
            s[0].rowsWritten.load(ordering: .relaxed) > 0 && s[3].rowsWritten.load(ordering: .relaxed) > 0
                && s[1].lastError != nil && s[2].lastError != nil
        }
        let connections = try pg.query(
            """
            SELECT a.application_name || '=' || s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
            WHERE a.application_name LIKE 'ticktape sink %' ORDER BY 1
            """)
        await service.stop()
        await engine.stop()
        try await simulator.stop()
        try #require(loaded, "errors: \(s.map { $0.lastError ?? "none" })")
        #expect(connections.contains("ticktape sink verified=true"), "\(connections)")
        #expect(connections.contains("ticktape sink loopback=false"), "\(connections)")
        #expect(!connections.contains { $0.contains("wrongname") || $0.contains("untrusted") }, "\(connections)")
        #expect(s[1].rowsWritten.load(ordering: .relaxed) == 0 && s[2].rowsWritten.load(ordering: .relaxed) == 0)
        let wrongName = s[1].lastError ?? "", untrusted = s[2].lastError ?? ""
        print("tls test: wrong name: \(wrongName)\ntls test: untrusted: \(untrusted)")
        #expect(wrongName.contains("certificate") && wrongName.contains("host name"), "\(wrongName)")
        #expect(untrusted.contains("certificate"), "\(untrusted)")
    }
}
