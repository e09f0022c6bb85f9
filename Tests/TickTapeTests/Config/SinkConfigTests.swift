import Testing

@testable import TickTape

@Suite struct SinkConfigTests {
    func parse(_ sink: String) throws(ConfigError) -> TickTapeConfig {
        try TickTapeConfig.parse(
            """
            data_dir = "/tmp/x"
            [[capture]]
            name = "c"
            url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"
            connections = 1
            \(sink)
            """, file: "t.toml")
    }

    func error(_ sink: String) -> String {
        do {
            _ = try parse(sink)
            return "parsed"
        } catch {
            return error.description
        }
    }

    @Test func urlForms() throws {
        let url = try PostgresURL.parse("postgresql://tick%40tape@[::1]:6543/mar%20ket?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(url.user == "tick@tape" && url.host == "::1" && url.port == 6543 && url.database == "mar ket")
        #expect(url.tls == .verifyFull && url.rootCertificate == "/ca.pem")
        #expect(try PostgresURL.parse("postgres://u@h/d").port == 5432)
        #expect(try PostgresURL.parse("postgres://u@h/d").tls == .prefer)
    }

    @Test func aPasswordInTheURLIsRefusedWithoutEchoingIt() {
        let message = error(#"[[sink]]\#nname = "pg"\#nkind = "postgres"\#nurl = "postgres://u:hunter2@h/d""#)
        #expect(message.contains("must not contain a password"))
        #expect(!message.contains("hunter2"))
        #expect(message.hasPrefix("t.toml:9:"))
    }

    @Test func errorsNameTheKeyAndLine() {
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"kafka\"\nurl = \"postgres://u@h/d\"").contains("kind must be \"postgres\" or \"s3\", got \"kafka\""))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"").contains("missing required key url"))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\ncaptures = [\"other\"]").contains("not a [[capture]]"))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\ntables = { trade = \"t\" }").contains("unknown kind \"trade\""))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\ntables = { trades = \"x\", bars = \"x\" }").contains("both go to"))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d?sslmode=maybe\"").contains("sslmode must be one of"))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\nbatch_sise = 3").contains("did you mean batch_size?"))
        #expect(error("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\n[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"").contains("duplicate sink name"))
    }

    @Test func defaults() throws {
        let config = try parse("[[sink]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"postgres://u@h/d\"\ntables = { depth = \"depth_diffs\", bars = \"off\" }")
        let sink = try #require(config.sinks.first)
        #expect(sink.batchSize == 5000 && sink.batchInterval == .milliseconds(200) && sink.captures == nil && sink.takes("c"))
        guard case .postgres(let pg) = sink.target else { return }
        #expect(pg.tables[.depth] == "depth_diffs" && pg.tables[.bars] == nil && pg.tables[.trades] == "trades")
    }

    @Test func retentionKeepsHeldSegmentsUnlessTheDiskIsCritical() {
        let segments = ["c-20261121T000000.000Z-000", "c-20261121T010000.000Z-000", "c-20261121T020000.000Z-000"].map {
            RetentionPolicy.Segment(base: $0, endedAt: 0, files: [], bytes: 1)
        }
        let held = RetentionPolicy.applyHold(segments, heldFrom: segments[1].base, diskCritical: false)
        #expect(held.delete.map(\.base) == [segments[0].base] && held.kept.count == 2 && held.overridden.isEmpty)
        let critical = RetentionPolicy.applyHold(segments, heldFrom: segments[1].base, diskCritical: true)
        #expect(critical.delete.count == 3 && critical.overridden.count == 2)
        #expect(RetentionPolicy.applyHold(segments, heldFrom: nil, diskCritical: false).delete.count == 3)
        let holds = RetentionHolds()
        holds.hold(capture: "c", holder: "a", from: segments[2].base)
        holds.hold(capture: "c", holder: "b", from: "")
        #expect(holds.earliest(capture: "c") == "")
        holds.advance(capture: "c", holder: "b", to: segments[1].base)
        #expect(holds.earliest(capture: "c") == segments[1].base)
        holds.advance(capture: "c", holder: "b", to: segments[0].base)  // never back
        #expect(holds.earliest(capture: "c") == segments[1].base)
        holds.release(holder: "b")
        #expect(holds.earliest(capture: "c") == segments[2].base)
    }

    @Test func partitionDaysAreUTCDates() {
        #expect(PostgresSchema.dayStamp(0) == "1970-01-01")
        #expect(PostgresSchema.dayStamp(20_413) == "2025-11-21")
        #expect(PostgresSchema.partitionName("trades", day: 20_413) == "trades_p20251121")
    }
}
