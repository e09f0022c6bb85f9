/// Reads typed values out of one TOML table, turning every problem into a `ConfigError`
/// that names the table, the key and the line.
///
/// Strictness lives here: `checkKeys` rejects any key the table does not define (a typo in
/// a config key is otherwise a silently ignored setting), and every accessor states the
/// expected form and range in its message.
struct ConfigTableReader {
    let file: String
    let table: TOMLTable
    /// Prefix of value errors: `capture "btcusdt-book": `, `[engine]: `, or empty at top level.
    let context: String
    /// How unknown-key errors name the table: `at the top level`, `in [engine]`, ...
    let location: String

    init(file: String, table: TOMLTable, context: String, location: String) {
        self.file = file
        self.table = table
        self.context = context
        self.location = location
    }

    // MARK: - Errors

    func fail(_ message: String, line: Int?) -> ConfigError {
        ConfigError(file: file, line: line, message: context + message)
    }

    func invalid(_ key: String, _ value: TOMLValue, expected: String) -> ConfigError {
        fail("\(key) must be \(expected), got \(value.shortDescription)", line: value.line)
    }

    func missing(_ key: String, _ explanation: String) -> ConfigError {
        fail("missing required key \(key) (\(explanation))", line: table.origin == .root ? nil : table.line)
    }

    /// Rejects keys not in `valid`, naming the key, the table, the line and the valid keys.
    /// `misplaced` are keys of an enclosing table, for the hint that they must come before
    /// the first header.
    func checkKeys(_ valid: [String], misplaced: [String] = []) throws(ConfigError) {
        for entry in table.entries where !valid.contains(entry.key) {
            var message = "unknown key \(TOMLValue.quoted(entry.key)) \(location)"
            if misplaced.contains(entry.key) {
                message += " (top-level keys must come before the first [table] or [[capture]] header)"
            } else if let suggestion = Self.closest(to: entry.key, in: valid) {
                message += " (did you mean \(suggestion)?)"
            }
            message += "; valid keys: " + valid.joined(separator: ", ")
            throw ConfigError(file: file, line: entry.line, message: message)
        }
    }

    private static func closest(to key: String, in candidates: [String]) -> String? {
        let lowered = String(key.lowercased().map { $0 == "-" ? "_" : $0 })
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(Array(lowered.utf8), Array(candidate.utf8))
            if distance <= max(1, candidate.count / 4), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard a.count <= 64, b.count <= 64 else { return .max }
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: - Typed access

    func value(_ key: String) -> TOMLValue? {
        table[key]?.value
    }

    func string(_ key: String, expected: String) throws(ConfigError) -> (String, TOMLValue)? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value.kind else {
            throw invalid(key, value, expected: expected)
        }
        return (string, value)
    }

    func integer(_ key: String, in range: ClosedRange<Int>, expected: String? = nil) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        let expectation = expected ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .integer(let integer) = value.kind, range.contains(integer) else {
            throw invalid(key, value, expected: expectation)
        }
        return integer
    }

    func boolean(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .boolean(let boolean) = value.kind else {
            throw invalid(key, value, expected: "true or false")
        }
        return boolean
    }

    /// A duration string within `range`; `"never"` is accepted (as `.none`) only when
    /// `allowNever` is set.
    func duration(
        _ key: String, in range: ClosedRange<Duration>, example: Duration, allowNever: Bool = false
    ) throws(ConfigError) -> Duration?? {
        guard let value = value(key) else { return nil }
        let bounds = "from \(HumanDuration.format(range.lowerBound)) to \(HumanDuration.format(range.upperBound))"
        let expected = "a duration string \(bounds) like \"\(HumanDuration.format(example))\""
            + (allowNever ? " or \"never\"" : "")
        guard case .string(let text) = value.kind else {
            throw invalid(key, value, expected: expected)
        }
        if allowNever && text == "never" {
            return .some(.none)
        }
        let duration: Duration
        do {
            duration = try HumanDuration.parse(text)
        } catch {
            throw fail("\(key): \(error.message)", line: value.line)
        }
        guard range.contains(duration) else {
            throw fail("\(key) must be a duration \(bounds), got \(value.shortDescription)", line: value.line)
        }
        return .some(duration)
    }

    /// A size: a string like `"256MiB"` or an integer number of bytes, within `range`.
    func size(_ key: String, in range: ClosedRange<Int64>, example: Int64) throws(ConfigError) -> Int64? {
        guard let value = value(key) else { return nil }
        let bounds = "from \(ByteSize.format(range.lowerBound)) to \(ByteSize.format(range.upperBound))"
        let size: Int64
        switch value.kind {
        case .integer(let integer):
            size = Int64(integer)
        case .string(let text):
            do {
                size = try ByteSize.parse(text)
            } catch {
                throw fail("\(key): \(error.message)", line: value.line)
            }
        default:
            throw invalid(key, value, expected: "a size \(bounds) like \"\(ByteSize.format(example))\"")
        }
        guard range.contains(size) else {
            throw fail("\(key) must be a size \(bounds), got \(value.shortDescription)", line: value.line)
        }
        return size
    }

    /// One of the raw values of a string enum.
    func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, as type: Choice.Type = Choice.self
    ) throws(ConfigError) -> Choice? where Choice.RawValue == String {
        guard let value = value(key) else { return nil }
        let names = Choice.allCases.map { "\"\($0.rawValue)\"" }
        let expected = names.count == 2
            ? "\(names[0]) or \(names[1])" : "one of " + names.joined(separator: ", ")
        guard case .string(let text) = value.kind, let choice = Choice(rawValue: text) else {
            throw invalid(key, value, expected: expected)
        }
        return choice
    }

    /// A nested table (`[engine]`), or nil if absent.
    func subtable(_ key: String, context: String, location: String) throws(ConfigError) -> ConfigTableReader? {
        guard let value = value(key) else { return nil }
        guard case .table(let subtable) = value.kind else {
            throw invalid(key, value, expected: "a table ([\(key)])")
        }
        return ConfigTableReader(file: file, table: subtable, context: context, location: location)
    }
}
