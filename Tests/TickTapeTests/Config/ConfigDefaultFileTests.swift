import Testing

@testable import TickTape

/// The path of the shipped `etc/ticktape.toml`, found from this source file.
func defaultConfigFilePath(sourceFile: String = #filePath) -> String {
    var components = sourceFile.split(separator: "/", omittingEmptySubsequences: false)
    // .../Tests/TickTapeTests/Config/ThisFile.swift → package root
    components.removeLast(4)
    return components.joined(separator: "/") + "/etc/ticktape.toml"
}

@Suite struct ConfigDefaultFileTests {
    @Test func defaultFileParsesToTheDocumentedValues() throws {
        let config = try TickTapeConfig.load(path: defaultConfigFilePath())
        #expect(config.dataDirectory == "/var/lib/ticktape")
        #expect(config.logLevel == .info)
        #expect(config.engine == EngineConfig())
        #expect(config.storage == StorageConfig())
        #expect(config.telemetry == TelemetryConfig())
        #expect(config.books == BooksConfig())
        #expect(config.captures.count == 1)
        let capture = try #require(config.captures.first)
        #expect(capture.name == "btcusdt-book")
        #expect(capture.endpoint.url == "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker")
        #expect(capture.endpoint.route == .usdmPublic)
        #expect(capture.endpoint.combined)
        #expect(capture.endpoint.streams == ["btcusdt@bookTicker"])
        #expect(capture.connections == 4)
        #expect(!capture.books.enabled && capture.books.snapshotLimit == 1000 && capture.books.checkpointInterval == nil)
        #expect(capture.books.restEndpoint.url == "https://fapi.binance.com")
        #expect(
            config.describe()
                == "OK: 1 capture(s): btcusdt-book → wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker ×4 connections; data_dir /var/lib/ticktape"
        )
    }

    /// Uncommenting every `# key = value` line must give the same configuration: the
    /// documented defaults are the real ones, and every documented key exists.
    @Test func commentedDefaultsAreTheRealDefaults() throws {
        let text = try readDefaultFile()
        var uncommented: [String] = []
        var count = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# "), line.dropFirst(2).first?.isLowercase == true, line.contains(" = ") {
                // ca_file and token_file have no default, and stream_stale_after's is per stream
                // kind: their examples are not defaults
                if line.hasPrefix("# ca_file") || line.hasPrefix("# stream_stale_after") || line.hasPrefix("# token_file") { continue }
                uncommented.append(String(line.dropFirst(2)))
                count += 1
            } else {
                uncommented.append(String(line))
            }
        }
        #expect(count == 55)
        let config = try TickTapeConfig.parse(uncommented.joined(separator: "\n"), file: "uncommented.toml")
        let original = try TickTapeConfig.parse(text, file: "ticktape.toml")
        #expect(config == original)
    }

    @Test func defaultFileDocumentsEveryKey() throws {
        let text = try readDefaultFile()
        for key in TickTapeConfig.keys + EngineConfig.keys + StorageConfig.keys + DaemonConfig.keys + TelemetryConfig.keys
            + BooksConfig.keys + ServeConfig.keys + CaptureConfig.keys + SinkConfig.keys
        where !["engine", "storage", "daemon", "telemetry", "serve", "capture", "sink"].contains(key) {
            #expect(text.contains("\(key) = "), "etc/ticktape.toml does not document \(key)")
        }
    }
}

extension ConfigDefaultFileTests {
    /// The commented `[[sink]]` example (`#[[sink]]`, `#key = value`) parses when uncommented,
    /// to the defaults it documents: every key once (password_env and password_file are
    /// alternatives, so one is left out).
    @Test func sinkExampleParsesToItsDocumentedDefaults() throws {
        let text = try readDefaultFile()
        var lines: [String] = []
        var keys = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") && !line.hasPrefix("# ") && !line.hasPrefix("##") && line.count > 1 {
                if line.hasPrefix("#password_env") { continue }
                lines.append(String(line.dropFirst()))
                if line.contains(" = ") { keys += 1 }
            } else {
                lines.append(String(line))
            }
        }
        #expect(keys == SinkConfig.commonKeys.count + PostgresSinkConfig.keys.count - 1)
        let config = try TickTapeConfig.parse(lines.joined(separator: "\n"), file: "uncommented.toml")
        let sink = try #require(config.sinks.first)
        let url = try PostgresURL.parse("postgres://ticktape@127.0.0.1:5432/market")
        var expected = SinkConfig(name: "warehouse", target: .postgres(PostgresSinkConfig(url: url, passwordFile: "/etc/ticktape/pg.password")))
        expected.captures = ["btcusdt-book"]
        #expect(sink == expected)
        #expect(try TickTapeConfig.load(path: defaultConfigFilePath()).sinks.isEmpty)
    }
}

func readDefaultFile() throws -> String {
    try TickTapeConfig.readFile(defaultConfigFilePath())
}
