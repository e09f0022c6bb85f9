/// The PostgreSQL part of a `[[sink]]` with `kind = "postgres"`.
package struct PostgresSinkConfig: Sendable, Equatable {
    /// `url`: where to connect (no password in it; see ``PostgresURL``).
    package var url: PostgresURL
    /// `password_file`: a file holding the password (trailing newline ignored); read at each
    /// connect, so a rotated password needs no restart. Never logged.
    package var passwordFile: String?
    /// `password_env`: the environment variable holding the password, if no `password_file`.
    package var passwordEnvironment: String?
    /// `tables`: which kind of line goes to which table; a kind mapped to `"off"` is not written.
    /// Default: every kind but `depth`, each to the table of its own name.
    package var tables: [SinkTableKind: String]
    /// `snapshot_interval`: one `snapshots` row per symbol and interval of the book ticker's
    /// time, the first ticker of each (default `"1s"`).
    package var snapshotInterval: Duration
    /// `bars`: the intervals of the `bars` rows (default `["1m"]`).
    package var barIntervals: [BarInterval]
    /// `connect_timeout`: TCP, TLS and authentication must finish within this (default `"10s"`).
    package var connectTimeout: Duration

    package init(
        url: PostgresURL, passwordFile: String? = nil, passwordEnvironment: String? = nil,
        tables: [SinkTableKind: String]? = nil, snapshotInterval: Duration = .seconds(1),
        barIntervals: [BarInterval] = [BarInterval("1m")!], connectTimeout: Duration = .seconds(10)
    ) {
        self.url = url
        self.passwordFile = passwordFile
        self.passwordEnvironment = passwordEnvironment
        self.tables = tables ?? Self.defaultTables
        self.snapshotInterval = snapshotInterval
        self.barIntervals = barIntervals
        self.connectTimeout = connectTimeout
    }

    /// Every kind on by default, to the table of its own name.
    package static var defaultTables: [SinkTableKind: String] {
        var tables: [SinkTableKind: String] = [:]
        for kind in SinkTableKind.allCases where kind.enabledByDefault { tables[kind] = kind.rawValue }
        return tables
    }

    static let keys = ["url", "password_file", "password_env", "tables", "snapshot_interval", "bars", "connect_timeout"]
    static let snapshotIntervalRange = Duration.milliseconds(1)...Duration.seconds(86_400)
    static let connectTimeoutRange = Duration.milliseconds(100)...Duration.seconds(300)

    /// Reads the PostgreSQL keys of one `[[sink]]`.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        guard let (text, urlValue) = try reader.string("url", expected: "a string like \"postgres://ticktape@127.0.0.1:5432/market\"")
        else {
            throw reader.missing("url", "where PostgreSQL listens, like \"postgres://ticktape@127.0.0.1:5432/market\"")
        }
        let url: PostgresURL
        do {
            url = try PostgresURL.parse(text)
        } catch {
            // The value itself is not repeated: it may hold a password.
            throw reader.fail("url \(error.message)", line: urlValue.line)
        }
        self.init(url: url)
        if let (path, value) = try reader.string("password_file", expected: "an absolute path") {
            guard path.hasPrefix("/") else { throw reader.invalid("password_file", value, expected: "an absolute path") }
            passwordFile = path
        }
        let envRule = "an environment variable name like \"TICKTAPE_PG_PASSWORD\""
        if let (name, value) = try reader.string("password_env", expected: envRule) {
            let ok = !name.isEmpty && name.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || $0 == UInt8(ascii: "_") || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
            }
            guard ok else { throw reader.invalid("password_env", value, expected: envRule) }
            passwordEnvironment = name
        }
        if passwordFile != nil && passwordEnvironment != nil {
            throw reader.fail(
                "password_file and password_env are both set; choose one", line: reader.value("password_env")?.line)
        }
        if let value = reader.value("tables") {
            let kinds = SinkTableKind.allCases.map(\.rawValue).joined(separator: ", ")
            guard case .table(let table) = value.kind else {
                throw reader.invalid("tables", value, expected: "a table like { trades = \"trades\", depth = \"off\" }")
            }
            for entry in table.entries {
                guard let kind = SinkTableKind(rawValue: entry.key) else {
                    throw reader.fail("tables: unknown kind \(TOMLValue.quoted(entry.key)); kinds: \(kinds)", line: entry.line)
                }
                let rule = "a table name matching ^[a-z_][a-z0-9_]{0,62}$ or \"off\""
                guard case .string(let name) = entry.value.kind else {
                    throw reader.fail("tables.\(entry.key) must be \(rule), got \(entry.value.shortDescription)", line: entry.line)
                }
                if name == "off" {
                    tables[kind] = nil
                } else {
                    guard SinkTableKind.isValidTableName(name), !name.hasPrefix("ticktape_") else {
                        throw reader.fail(
                            "tables.\(entry.key) must be \(rule) (not starting with ticktape_, which ticktape keeps for itself), got \(entry.value.shortDescription)",
                            line: entry.line)
                    }
                    tables[kind] = name
                }
            }
            var seen: [String: SinkTableKind] = [:]
            for kind in SinkTableKind.allCases {
                guard let name = tables[kind] else { continue }
                if let other = seen[name] {
                    throw reader.fail(
                        "tables: \(other.rawValue) and \(kind.rawValue) both go to \(TOMLValue.quoted(name)); each kind needs its own table",
                        line: value.line)
                }
                seen[name] = kind
            }
            if tables.isEmpty {
                throw reader.fail("tables turns every kind off; the sink would write nothing", line: value.line)
            }
        }
        if case .some(.some(let d)) = try reader.duration(
            "snapshot_interval", in: Self.snapshotIntervalRange, example: .seconds(1))
        {
            snapshotInterval = d
        }
        if let value = reader.value("bars") {
            let expected = "a list of intervals like [\"1s\", \"1m\", \"1h\"]"
            guard case .array(let elements) = value.kind else { throw reader.invalid("bars", value, expected: expected) }
            var intervals: [BarInterval] = []
            for element in elements {
                guard case .string(let text) = element.kind, let interval = BarInterval(text),
                    interval.milliseconds <= 86_400_000 * 7
                else {
                    throw reader.fail("bars: \(element.shortDescription) is not an interval like \"1m\" (s, m, h, d; at most 7d)", line: element.line)
                }
                guard !intervals.contains(interval) else {
                    throw reader.fail("bars: \(element.shortDescription) is listed twice", line: element.line)
                }
                intervals.append(interval)
            }
            barIntervals = intervals
        }
        if case .some(.some(let d)) = try reader.duration(
            "connect_timeout", in: Self.connectTimeoutRange, example: .seconds(10))
        {
            connectTimeout = d
        }
    }
}
