/// One `[[sink]]`: a consumer of captures' segment files that loads them into another system.
///
/// A sink reads the files the capture already wrote (never the live stream), from a durable
/// cursor, so it can be as slow, as far behind or as broken as its target is without costing the
/// capture anything, and it resumes exactly where its target last confirmed.
package struct SinkConfig: Sendable, Equatable {
    /// What the sink writes to, with the target's own settings.
    package enum Target: Sendable, Equatable {
        case postgres(PostgresSinkConfig)
        case s3(S3SinkConfig)
    }

    /// `name`: identifies the sink in logs, metrics and its state directory
    /// (`<data_dir>/.sinks/<name>/`); unique, same rule as capture names.
    package var name: String
    /// `kind` and the target's keys.
    package var target: Target
    /// `captures`: the captures the sink takes; nil (the key absent) means all.
    package var captures: [String]?
    /// `start_at`: where a sink without a cursor starts (default `"oldest"`).
    package var startAt: SinkStart
    /// `batch_size`: rows per write at most (default 5000).
    package var batchSize: Int
    /// `batch_interval`: a partial batch is written once its oldest line waited this long
    /// (default `"200ms"`).
    package var batchInterval: Duration
    /// `retry_max`: after a failed write or connect the sink waits 250ms, doubling up to this
    /// (default `"30s"`).
    package var retryMax: Duration

    package var kind: SinkKind {
        switch target {
        case .postgres: .postgres
        case .s3: .s3
        }
    }

    package init(
        name: String, target: Target, captures: [String]? = nil, startAt: SinkStart = .oldest, batchSize: Int = 5000,
        batchInterval: Duration = .milliseconds(200), retryMax: Duration = .seconds(30)
    ) {
        self.name = name
        self.target = target
        self.captures = captures
        self.startAt = startAt
        self.batchSize = batchSize
        self.batchInterval = batchInterval
        self.retryMax = retryMax
    }

    /// Whether the sink takes `capture`.
    package func takes(_ capture: String) -> Bool {
        captures?.contains(capture) ?? true
    }

    static let commonKeys = ["name", "kind", "captures", "start_at", "batch_size", "batch_interval", "retry_max"]
    static let keys = commonKeys + PostgresSinkConfig.keys + S3SinkConfig.keys
    static let batchSizeRange = 1...1_000_000
    static let batchIntervalRange = Duration.milliseconds(1)...Duration.seconds(60)
    static let retryMaxRange = Duration.milliseconds(250)...Duration.seconds(3600)

    /// Reads one `[[sink]]` table; `number` (1-based) names it in errors until its name is known.
    init(reading table: TOMLTable, number: Int, file: String) throws(ConfigError) {
        var label = "[[sink]] #\(number)"
        if case .string(let name)? = table["name"]?.value.kind { label = "sink \(TOMLValue.quoted(name))" }
        let reader = ConfigTableReader(file: file, table: table, context: label + ": ", location: "in " + label)
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        let nameRule = "a name matching ^[a-z0-9][a-z0-9._-]{0,63}$ (lowercase letters, digits, '.', '_', '-')"
        guard let (name, nameValue) = try reader.string("name", expected: nameRule) else {
            throw reader.missing("name", "a unique name like \"warehouse\"")
        }
        guard CaptureConfig.isValidName(name) else { throw reader.invalid("name", nameValue, expected: nameRule) }
        guard let kind = try reader.choice("kind", as: SinkKind.self) else {
            throw reader.missing("kind", "what the sink writes to: \"postgres\" or \"s3\"")
        }
        switch kind {
        case .postgres:
            try reader.checkKeys(Self.commonKeys + PostgresSinkConfig.keys, misplaced: TickTapeConfig.keys)
            self.init(name: name, target: .postgres(try PostgresSinkConfig(reading: reader)))
        case .s3:
            try reader.checkKeys(Self.commonKeys + S3SinkConfig.keys, misplaced: TickTapeConfig.keys)
            self.init(name: name, target: .s3(try S3SinkConfig(reading: reader)))
        }
        if let value = reader.value("captures") {
            let expected = "a list of capture names like [\"btcusdt-book\"]"
            guard case .array(let elements) = value.kind else { throw reader.invalid("captures", value, expected: expected) }
            var names: [String] = []
            for element in elements {
                guard case .string(let capture) = element.kind else { throw reader.invalid("captures", value, expected: expected) }
                guard !names.contains(capture) else {
                    throw reader.fail("captures: \(TOMLValue.quoted(capture)) is listed twice", line: element.line)
                }
                names.append(capture)
            }
            guard !names.isEmpty else {
                throw reader.fail("captures is empty; leave it out to take every capture", line: value.line)
            }
            captures = names
        }
        if let start = try reader.choice("start_at", as: SinkStart.self) { startAt = start }
        if let n = try reader.integer("batch_size", in: Self.batchSizeRange) { batchSize = n }
        if case .some(.some(let d)) = try reader.duration(
            "batch_interval", in: Self.batchIntervalRange, example: .milliseconds(200))
        {
            batchInterval = d
        }
        if case .some(.some(let d)) = try reader.duration("retry_max", in: Self.retryMaxRange, example: .seconds(30)) {
            retryMax = d
        }
    }
}
