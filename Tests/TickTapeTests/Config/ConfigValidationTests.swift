import Logging
import Testing

@testable import TickTape

@Suite struct ConfigValidationTests {
    private static let minimal = """
        data_dir = "/data"

        [[capture]]
        name = "btcusdt-book"
        url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"
        connections = 4
        """

    private func parse(_ text: String) throws(ConfigError) -> TickTapeConfig {
        try TickTapeConfig.parse(text, file: "ticktape.toml")
    }

    private func rejection(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// The minimal config with `lines` added to the capture.
    private func capture(_ lines: String) -> String {
        Self.minimal + "\n" + lines + "\n"
    }

    @Test func minimalConfigGetsAllDefaults() throws {
        let config = try parse(Self.minimal)
        #expect(config.dataDirectory == "/data")
        #expect(config.logLevel == .info)
        #expect(config.engine == EngineConfig())
        #expect(config.engine.eventLoopCPUs == .auto)
        #expect(config.engine.mergerCPU == .auto)
        #expect(config.engine.mergerIdle == .backoff)
        #expect(config.engine.ringCapacity == 65536)
        #expect(config.engine.connectBudget == 300)
        #expect(config.engine.connectBudgetWindow == .seconds(300))
        #expect(config.storage == StorageConfig())
        #expect(config.storage.flushInterval == .milliseconds(100))
        #expect(config.storage.fsync == .interval(.seconds(1)))
        #expect(config.storage.rotateSize == 256 << 20)
        #expect(config.storage.rotateInterval == .seconds(3600))
        #expect(config.storage.bufferSize == 1 << 20)
        #expect(config.storage.maxBuffered == 256 << 20)
        let capture = try #require(config.captures.first)
        #expect(capture.name == "btcusdt-book")
        #expect(capture.connections == 4)
        #expect(capture.subscribe.isEmpty)
        #expect(capture.latePolicy == .place)
        #expect(capture.holeWait == .auto)
        #expect(capture.staleAfter == .seconds(10))
        #expect(capture.connectTimeout == .seconds(5))
        #expect(capture.backoffInitial == .milliseconds(250))
        #expect(capture.backoffMax == .seconds(30))
        #expect(capture.caFile == nil)
        #expect(capture.endpoint.route == .usdmPublic)
    }

    @Test func everyKeySetExplicitly() throws {
        let config = try parse(
            """
            data_dir = "/srv/tape"
            log_level = "debug"

            [engine]
            event_loop_cpus = [0, 1]
            merger_cpu = 2
            merger_idle = "spin"
            ring_capacity = 1024
            connect_budget = 10
            connect_budget_window = "1m"

            [storage]
            flush_interval = "5ms"
            fsync = "always"
            rotate_size = "1GiB"
            rotate_interval = "never"
            buffer_size = 65536
            max_buffered = "1MB"

            [[capture]]
            name = "multi"
            url = "ws://127.0.0.1:9000/stream"
            connections = 2
            subscribe = ["btcusdt@bookTicker", "ethusdt@bookTicker"]
            late_policy = "emit"
            stale_after = "2s"
            connect_timeout = "1s"
            backoff_initial = "10ms"
            backoff_max = "1s"
            ca_file = "/tmp/ca.pem"

            [[capture]]
            name = "second"
            url = "wss://fstream.binance.com/market/ws/btcusdt@aggTrade"
            connections = 1
            """)
        #expect(config.logLevel == .debug)
        #expect(
            config.engine
                == EngineConfig(
                    eventLoopCPUs: .cpus([0, 1]), mergerCPU: .cpu(2), mergerIdle: .spin, ringCapacity: 1024,
                    connectBudget: 10, connectBudgetWindow: .seconds(60)))
        #expect(
            config.storage
                == StorageConfig(
                    flushInterval: .milliseconds(5), fsync: .always, rotateSize: 1 << 30, rotateInterval: nil,
                    bufferSize: 65536, maxBuffered: 1_000_000))
        #expect(config.captures.count == 2)
        let first = config.captures[0]
        #expect(first.subscribe == ["btcusdt@bookTicker", "ethusdt@bookTicker"])
        #expect(first.endpoint.streams.isEmpty)
        #expect(first.latePolicy == .emit)
        #expect(first.staleAfter == .seconds(2))
        #expect(first.connectTimeout == .seconds(1))
        #expect(first.backoffInitial == .milliseconds(10))
        #expect(first.backoffMax == .seconds(1))
        #expect(first.caFile == "/tmp/ca.pem")
        #expect(config.captures[1].endpoint.route == .usdmMarket)
    }

    @Test func unknownTopLevelKeyNamesKeyLineAndValidKeys() throws {
        let error = try #require(rejection("data_dir = \"/data\"\ndata_directory = \"/x\"\n"))
        #expect(error.line == 2)
        #expect(error.message.contains("unknown key \"data_directory\" at the top level"))
        #expect(error.message.contains("valid keys: data_dir, log_level, engine, storage, daemon, telemetry, books, serve, capture, sink"))
    }

    @Test func unknownKeyInEngineNamesKeyAndLine() throws {
        let error = try #require(rejection("data_dir = \"/data\"\n[engine]\nring_capcity = 1024\n"))
        #expect(error.line == 3)
        #expect(error.message.contains("unknown key \"ring_capcity\" in [engine]"))
        #expect(error.message.contains("did you mean ring_capacity?"))
        #expect(error.message.contains("valid keys: event_loop_cpus"))
        #expect(error.description.hasPrefix("ticktape.toml:3: "))
    }

    @Test func unknownKeyInStorageNamesKeyAndLine() throws {
        let error = try #require(rejection("data_dir = \"/data\"\n\n[storage]\nfsync_interval = \"1s\"\n"))
        #expect(error.line == 4)
        #expect(error.message.contains("unknown key \"fsync_interval\" in [storage]"))
    }

    @Test func unknownKeyInCaptureNamesKeyAndLine() throws {
        let error = try #require(rejection(capture("conections = 3")))
        #expect(error.line == 7)
        #expect(error.message.contains("unknown key \"conections\" in capture \"btcusdt-book\""))
        #expect(error.message.contains("did you mean connections?"))
        #expect(error.message.contains("valid keys: name, url, connections"))
    }

    @Test func topLevelKeyAfterCaptureHeaderExplainsTheMistake() throws {
        let error = try #require(rejection(capture("log_level = \"debug\"")))
        #expect(error.line == 7)
        #expect(error.message.contains("must come before the first"))
    }

    @Test func dataDirAfterEngineHeaderExplainsTheMistake() throws {
        let error = try #require(rejection("[engine]\ndata_dir = \"/data\"\n"))
        #expect(error.line == 2)
        #expect(error.message.contains("unknown key \"data_dir\" in [engine] (top-level keys must come before"))
    }

    @Test func connectionsOutOfRangeGivesTheDocumentedMessage() throws {
        let text = """
            data_dir = "/data"

            [[capture]]
            name = "btcusdt-book"
            url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"
            # how many
            connections = 0
            """
        let error = try #require(rejection(text))
        #expect(
            error.description
                == "ticktape.toml:7: capture \"btcusdt-book\": connections must be an integer from 1 to 64, got 0")
    }

    @Test(arguments: [
        ("connections = 65", 6, "connections must be an integer from 1 to 64, got 65"),
        ("connections = \"4\"", 6, "connections must be an integer from 1 to 64, got \"4\""),
    ])
    func connectionsMustBeAnIntegerInRange(line: String, lineNumber: Int, fragment: String) throws {
        let text = Self.minimal.replacingConnections(with: line)
        let error = try #require(rejection(text))
        #expect(error.line == lineNumber)
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test(arguments: [
        ("late_policy = \"keep\"", "late_policy must be one of \"place\", \"drop\", \"emit\", got \"keep\""),
        ("hole_wait = \"soon\"", "hole_wait must be \"auto\" or a duration string from 0s to 1s like \"5ms\", got \"soon\""),
        ("hole_wait = \"2s\"", "hole_wait must be \"auto\" or a duration string from 0s to 1s like \"5ms\", got \"2s\""),
        ("hole_wait = 5", "hole_wait must be \"auto\" or a duration string from 0s to 1s like \"5ms\", got 5"),
        ("stale_after = 10", "stale_after must be a duration string from 100ms to 1h like \"10s\", got 10"),
        ("stale_after = \"10\"", "stale_after: duration \"10\" is missing a unit"),
        ("stale_after = \"2h\"", "stale_after must be a duration from 100ms to 1h, got \"2h\""),
        ("connect_timeout = \"1ms\"", "connect_timeout must be a duration from 100ms to 5m"),
        ("backoff_initial = \"2s\"\nbackoff_max = \"1s\"", "backoff_max (1s) must not be less than backoff_initial (2s)"),
        ("ca_file = \"ca.pem\"", "ca_file must be an absolute path"),
        ("subscribe = \"btcusdt@bookTicker\"", "subscribe must be a list of stream names"),
        ("subscribe = [\"BTCUSDT@aggTrade\"]", "stream names must be lowercase"),
        ("subscribe = [\"btcusdt@aggTrade\"]", "not delivered on the /public route"),
        ("subscribe = [\"btcusdt@bookTicker\"]", "listed twice"),
    ])
    func badCaptureValuesSayWhatIsExpected(lines: String, fragment: String) throws {
        try checkRejected(lines: lines, fragment: fragment)
    }

    @Test func holeWaitIsAutoOrADuration() throws {
        for (line, expected) in [
            ("hole_wait = \"auto\"", HoleWait.auto), ("hole_wait = \"5ms\"", .fixed(.milliseconds(5))),
            ("hole_wait = \"0ms\"", .fixed(.zero)),
        ] {
            let config = try TickTapeConfig.parse(capture(line), file: "t.toml")
            #expect(config.captures.first?.holeWait == expected, "\(line)")
        }
    }

    private func checkRejected(lines: String, fragment: String) throws {
        let error = try #require(rejection(capture(lines)))
        #expect(error.line != nil)
        #expect(error.message.hasPrefix("capture \"btcusdt-book\": "), "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test(arguments: [
        ("event_loop_cpus = []", "event_loop_cpus must be \"auto\" or a non-empty list"),
        ("event_loop_cpus = [0, 0]", "event_loop_cpus must be \"auto\" or a non-empty list"),
        ("merger_cpu = -1", "merger_cpu must be \"auto\", \"none\" or a CPU number"),
        ("event_loop_cpus = [0, 1]\nmerger_cpu = 1", "merger_cpu 1 is also in event_loop_cpus"),
        ("merger_idle = \"sleep\"", "merger_idle must be \"spin\" or \"backoff\", got \"sleep\""),
        ("ring_capacity = 1000", "ring_capacity must be a power of two from 1024 to 4194304"),
        ("ring_capacity = 8388608", "ring_capacity must be a power of two from 1024 to 4194304"),
        ("connect_budget = 0", "connect_budget must be an integer from 1 to 100000"),
        ("connect_budget_window = \"500ms\"", "connect_budget_window must be a duration from 1s to 1d"),
    ])
    func badEngineValuesSayWhatIsExpected(line: String, fragment: String) throws {
        let error = try #require(rejection("data_dir = \"/data\"\n[engine]\n\(line)\n"))
        #expect(error.line == 3 || error.line == 4)
        #expect(error.message.hasPrefix("[engine]: "), "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test(arguments: [
        ("flush_interval = \"20s\"", "flush_interval must be a duration from 1ms to 10s, got \"20s\""),
        ("fsync = \"sometimes\"", "fsync must be \"always\", \"never\" or a duration"),
        ("fsync = 1", "fsync must be \"always\", \"never\" or a duration"),
        ("rotate_size = \"512B\"", "rotate_size must be a size from 1KiB"),
        ("rotate_size = \"lots\"", "rotate_size: invalid size \"lots\""),
        ("rotate_interval = \"0s\"", "rotate_interval must be a duration from 1s to 30d"),
        ("buffer_size = \"128MiB\"", "buffer_size must be a size from 4KiB to 64MiB"),
        ("buffer_size = \"1MiB\"\nmax_buffered = \"64KiB\"", "max_buffered (64KiB) must be at least buffer_size (1MiB)"),
    ])
    func badStorageValuesSayWhatIsExpected(line: String, fragment: String) throws {
        let error = try #require(rejection("data_dir = \"/data\"\n[storage]\n\(line)\n"))
        #expect(error.line == 3 || error.line == 4)
        #expect(error.message.hasPrefix("[storage]: "), "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test func storageAcceptsFsyncIntervalAndIntegerSizes() throws {
        let config = try parse(Self.minimal + "\n[storage]\nfsync = \"250ms\"\nrotate_size = 2048\n")
        #expect(config.storage.fsync == .interval(.milliseconds(250)))
        #expect(config.storage.rotateSize == 2048)
    }

    @Test func topLevelValuesAreChecked() throws {
        let relative = try #require(rejection("data_dir = \"data\"\n"))
        #expect(relative.line == 1)
        #expect(relative.message.contains("data_dir must be an absolute path"))
        let level = try #require(rejection(Self.minimal.replacingOccurrences("data_dir = \"/data\"", "data_dir = \"/data\"\nlog_level = \"verbose\"")))
        #expect(level.line == 2)
        #expect(level.message.contains("log_level must be one of \"trace\", \"debug\""))
        let engine = try #require(rejection("data_dir = \"/data\"\nengine = 3\n"))
        #expect(engine.line == 2)
        #expect(engine.message.contains("engine must be a table"))
    }

    @Test func missingRequiredKeysAreNamed() throws {
        let noDataDir = try #require(rejection(Self.minimal.replacingOccurrences("data_dir = \"/data\"", "")))
        #expect(noDataDir.line == nil)
        #expect(noDataDir.message.contains("missing required key data_dir"))
        let noCapture = try #require(rejection("data_dir = \"/data\"\n"))
        #expect(noCapture.message.contains("no [[capture]] is defined"))
        let noConnections = try #require(
            rejection("data_dir = \"/data\"\n[[capture]]\nname = \"a\"\nurl = \"wss://fstream.binance.com/public/ws/btcusdt@bookTicker\"\n"))
        #expect(noConnections.line == 2)
        #expect(noConnections.message == "capture \"a\": missing required key connections (how many connections race, an integer from 1 to 64)")
        let noName = try #require(rejection("data_dir = \"/data\"\n[[capture]]\nconnections = 1\n"))
        #expect(noName.message.hasPrefix("[[capture]] #1: missing required key name"))
    }

    @Test func singleBracketCaptureIsExplained() throws {
        let error = try #require(rejection("data_dir = \"/data\"\n[capture]\nname = \"a\"\n"))
        #expect(error.message.contains("[[capture]] (double brackets)"))
    }

    @Test(arguments: ["BTC", "-a", "a b", "", String(repeating: "a", count: 65), "a/b"])
    func invalidCaptureNamesAreRejected(name: String) throws {
        let text = Self.minimal.replacingOccurrences("name = \"btcusdt-book\"", "name = \"\(name)\"")
        let error = try #require(rejection(text))
        #expect(error.line == 4)
        #expect(error.message.contains("name must be a name matching ^[a-z0-9][a-z0-9._-]{0,63}$"))
    }

    @Test func duplicateCaptureNamesAreRejected() throws {
        let text = Self.minimal + "\n\n[[capture]]\nname = \"btcusdt-book\"\nurl = \"wss://fstream.binance.com/public/ws/ethusdt@bookTicker\"\nconnections = 1\n"
        let error = try #require(rejection(text))
        #expect(error.line == 9)
        #expect(error.message.contains("duplicate capture name \"btcusdt-book\" (first used at line 4)"))
    }

    @Test func duplicateKeyInCaptureIsASyntaxError() throws {
        let error = try #require(rejection(capture("connections = 5")))
        #expect(error.line == 7)
        #expect(error.message.contains("duplicate key connections (first set at line 6)"))
    }

    @Test func badURLIsReportedOnItsLine() throws {
        let text = Self.minimal.replacingOccurrences(
            "public/ws/btcusdt@bookTicker", "market/ws/btcusdt@bookTicker")
        let error = try #require(rejection(text))
        #expect(error.line == 5)
        #expect(error.message.hasPrefix("capture \"btcusdt-book\": url: btcusdt@bookTicker is not delivered on the /market route"))
    }

    @Test func urlWithoutStreamsNeedsSubscribe() throws {
        let text = Self.minimal.replacingOccurrences("public/ws/btcusdt@bookTicker", "public/ws")
        let error = try #require(rejection(text))
        #expect(error.line == 5)
        #expect(error.message.contains("the url names no streams and subscribe is empty"))
        let fixed = try parse(text + "\nsubscribe = [\"btcusdt@bookTicker\"]\n")
        #expect(fixed.captures.first?.subscribe == ["btcusdt@bookTicker"])
    }

    @Test func describeSummarisesTheCaptures() throws {
        let config = try parse(Self.minimal)
        #expect(
            config.describe()
                == "OK: 1 capture(s): btcusdt-book → wss://fstream.binance.com/public/ws/btcusdt@bookTicker ×4 connections; data_dir /data")
    }

    @Test func loadReportsMissingFileAsConfigError() throws {
        #expect {
            try TickTapeConfig.load(path: "/nonexistent/ticktape.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.file == "/nonexistent/ticktape.toml" && error.line == nil
                && error.message.contains("No such file or directory")
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    fileprivate func replacingConnections(with line: String) -> String {
        replacingOccurrences("connections = 4", line)
    }
}
