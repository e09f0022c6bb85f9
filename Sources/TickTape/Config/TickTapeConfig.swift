import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole configuration of a ticktape daemon, as read from `ticktape.toml`.
///
/// Loading is strict: an unknown key, a value of the wrong type or out of range, or a
/// stream that Binance would silently never deliver all stop the daemon at startup with
/// a message naming the line, because a capture daemon that runs with a misread setting
/// loses data nobody notices until it is needed.
package struct TickTapeConfig: Sendable, Equatable {
    /// `data_dir`: where capture files are written (required, absolute path).
    package var dataDirectory: String
    /// `log_level`: "trace", "debug", "info", "notice", "warning", "error" or "critical"
    /// (default "info").
    package var logLevel: Logger.Level
    /// `[engine]`: threads, pinning and queue sizes.
    package var engine: EngineConfig
    /// `[storage]`: writing, syncing and rotating capture files.
    package var storage: StorageConfig
    /// `[daemon]`: readiness and status reporting.
    package var daemon: DaemonConfig
    /// `[telemetry]`: latency histograms, metrics endpoint, summaries, alarms.
    package var telemetry: TelemetryConfig
    /// `[books]`: the REST weight budget all captures' books share.
    package var books: BooksConfig
    /// `[serve]`: the relay, depth REST and JSON API listener.
    package var serve: ServeConfig
    /// `[[capture]]`: at least one, with unique names.
    package var captures: [CaptureConfig]
    /// `[[sink]]`: consumers of the capture files (PostgreSQL, …); none by default.
    package var sinks: [SinkConfig]

    /// Builds a configuration in code (tests, tools); defaults are those of the file format.
    package init(
        dataDirectory: String,
        logLevel: Logger.Level = .info,
        engine: EngineConfig = EngineConfig(),
        storage: StorageConfig = StorageConfig(),
        daemon: DaemonConfig = DaemonConfig(),
        telemetry: TelemetryConfig = TelemetryConfig(),
        books: BooksConfig = BooksConfig(),
        serve: ServeConfig = ServeConfig(),
        captures: [CaptureConfig],
        sinks: [SinkConfig] = []
    ) {
        self.sinks = sinks
        self.books = books
        self.serve = serve
        self.daemon = daemon
        self.telemetry = telemetry
        self.dataDirectory = dataDirectory
        self.logLevel = logLevel
        self.engine = engine
        self.storage = storage
        self.captures = captures
    }

    static let keys = ["data_dir", "log_level", "engine", "storage", "daemon", "telemetry", "books", "serve", "capture", "sink"]
    /// Configuration files are small; anything larger is not one.
    static let maximumFileSize = 1 << 20

    /// Reads and parses the file at `path`; a missing or unreadable file is a `ConfigError`
    /// naming the path and the reason.
    package static func load(path: String) throws(ConfigError) -> TickTapeConfig {
        let text = try readFile(path)
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> TickTapeConfig {
        let document = try TOMLDocument.parse(text, file: file)
        let reader = ConfigTableReader(file: file, table: document.root, context: "", location: "at the top level")
        try reader.checkKeys(keys)

        // The tables are read first: a top-level key written below a header shows up as
        // an unknown key there, which explains a "missing" data_dir better than its absence.
        var engine = EngineConfig()
        if let engineReader = try reader.subtable("engine", context: "[engine]: ", location: "in [engine]") {
            engine = try EngineConfig(reading: engineReader)
        }
        var storage = StorageConfig()
        if let storageReader = try reader.subtable("storage", context: "[storage]: ", location: "in [storage]") {
            storage = try StorageConfig(reading: storageReader)
        }
        var daemon = DaemonConfig()
        if let daemonReader = try reader.subtable("daemon", context: "[daemon]: ", location: "in [daemon]") {
            daemon = try DaemonConfig(reading: daemonReader)
        }
        var telemetry = TelemetryConfig()
        if let telemetryReader = try reader.subtable("telemetry", context: "[telemetry]: ", location: "in [telemetry]") {
            telemetry = try TelemetryConfig(reading: telemetryReader)
        }
        var books = BooksConfig()
        if let booksReader = try reader.subtable("books", context: "[books]: ", location: "in [books]") {
            books = try BooksConfig(reading: booksReader)
        }
        var serve = ServeConfig()
        if let serveReader = try reader.subtable("serve", context: "[serve]: ", location: "in [serve]") {
            serve = try ServeConfig(reading: serveReader)
        }
        let captures = try readCaptures(reader)
        let sinks = try readSinks(reader, captures: captures ?? [])

        guard let (dataDirectory, dataDirectoryValue) = try reader.string(
            "data_dir", expected: "an absolute path like \"/var/lib/ticktape\"")
        else {
            throw reader.missing("data_dir", "the absolute path where capture files are written, like \"/var/lib/ticktape\"")
        }
        guard dataDirectory.hasPrefix("/") else {
            throw reader.invalid("data_dir", dataDirectoryValue, expected: "an absolute path like \"/var/lib/ticktape\"")
        }
        var logLevel = Logger.Level.info
        if let value = reader.value("log_level") {
            let names = Logger.Level.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            guard case .string(let text) = value.kind, let level = Logger.Level(rawValue: text) else {
                throw reader.invalid("log_level", value, expected: "one of \(names)")
            }
            logLevel = level
        }
        guard let captures else {
            throw ConfigError(
                file: file, line: nil,
                message: "no [[capture]] is defined; at least one is required (name, url, connections)")
        }
        return TickTapeConfig(
            dataDirectory: dataDirectory, logLevel: logLevel, engine: engine, storage: storage, daemon: daemon,
            telemetry: telemetry, books: books, serve: serve, captures: captures, sinks: sinks)
    }

    /// The `[[sink]]` tables (none if absent); every capture a sink names must exist.
    private static func readSinks(_ reader: ConfigTableReader, captures: [CaptureConfig]) throws(ConfigError) -> [SinkConfig] {
        guard let sinkValue = reader.value("sink") else { return [] }
        guard case .array(let elements) = sinkValue.kind else {
            if case .table = sinkValue.kind {
                throw reader.fail("sink must be written [[sink]] (double brackets): there can be several", line: sinkValue.line)
            }
            throw reader.invalid("sink", sinkValue, expected: "a list of [[sink]] tables")
        }
        var sinks: [SinkConfig] = []
        var firstLineByName: [String: Int] = [:]
        let captureNames = captures.map(\.name)
        for (offset, element) in elements.enumerated() {
            guard case .table(let table) = element.kind else {
                throw reader.invalid("sink", sinkValue, expected: "a list of [[sink]] tables")
            }
            let sink = try SinkConfig(reading: table, number: offset + 1, file: reader.file)
            let line = table["name"]?.value.line ?? table.line
            if let first = firstLineByName[sink.name] {
                throw ConfigError(
                    file: reader.file, line: line,
                    message: "duplicate sink name \(TOMLValue.quoted(sink.name)) (first used at line \(first)); sink names must be unique")
            }
            firstLineByName[sink.name] = line
            for name in sink.captures ?? [] where !captureNames.contains(name) {
                throw ConfigError(
                    file: reader.file, line: table["captures"]?.value.line ?? line,
                    message: "sink \(TOMLValue.quoted(sink.name)): captures names \(TOMLValue.quoted(name)), which is not a [[capture]]; captures: \(captureNames.joined(separator: ", "))")
            }
            sinks.append(sink)
        }
        return sinks
    }

    /// The `[[capture]]` tables, or nil if there are none.
    private static func readCaptures(_ reader: ConfigTableReader) throws(ConfigError) -> [CaptureConfig]? {
        guard let captureValue = reader.value("capture") else { return nil }
        let expected = "a list of [[capture]] tables"
        var tables: [TOMLTable] = []
        switch captureValue.kind {
        case .array(let elements):
            for element in elements {
                guard case .table(let table) = element.kind else {
                    throw reader.invalid("capture", captureValue, expected: expected)
                }
                tables.append(table)
            }
        case .table:
            throw reader.fail(
                "capture must be written [[capture]] (double brackets): there can be several", line: captureValue.line)
        default:
            throw reader.invalid("capture", captureValue, expected: expected)
        }
        guard !tables.isEmpty else {
            throw reader.fail("at least one [[capture]] is required", line: captureValue.line)
        }
        var captures: [CaptureConfig] = []
        var firstLineByName: [String: Int] = [:]
        for (offset, table) in tables.enumerated() {
            let capture = try CaptureConfig(reading: table, number: offset + 1, file: reader.file)
            let line = table["name"]?.value.line ?? table.line
            if let first = firstLineByName[capture.name] {
                throw ConfigError(
                    file: reader.file, line: line,
                    message: "duplicate capture name \(TOMLValue.quoted(capture.name)) (first used at line \(first)); capture names must be unique")
            }
            firstLineByName[capture.name] = line
            captures.append(capture)
        }
        return captures
    }

    /// A short human summary for `ticktape check-config` and the startup log, e.g.
    /// `OK: 1 capture(s): btcusdt-book → wss://... ×4 connections; data_dir /var/lib/ticktape`.
    package func describe() -> String {
        let captureList = captures.map { capture in
            var text = "\(capture.name) → \(capture.endpoint.url) ×\(capture.connections) connection"
            text += capture.connections == 1 ? "" : "s"
            if !capture.subscribe.isEmpty {
                text += " (+\(capture.subscribe.count) subscribed stream\(capture.subscribe.count == 1 ? "" : "s"))"
            }
            return text
        }
        return "OK: \(captures.count) capture(s): " + captureList.joined(separator: ", ")
            + "; data_dir \(dataDirectory)"
    }

    /// The file's text; any failure is a `ConfigError` naming the path and the reason.
    static func readFile(_ path: String) throws(ConfigError) -> String {
        func failure(_ reason: String) -> ConfigError {
            ConfigError(file: path, line: nil, message: "cannot read the configuration file: \(reason)")
        }
        func systemError() -> String {
            String(cString: strerror(errno))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw failure(systemError())
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { POSIXIO.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { throw failure(systemError()) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumFileSize {
                throw failure("larger than \(ByteSize.format(Int64(maximumFileSize))); is it a configuration file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw failure("not valid UTF-8 text")
        }
        return text
    }
}
