/// One `[[capture]]`: a set of streams captured over N racing connections into one file
/// series.
///
/// The connections all receive the same streams; the merger keeps the first copy of each
/// message, so a capture survives the loss or slowness of any N-1 of them.
package struct CaptureConfig: Sendable, Equatable {
    /// `name`: identifies the capture in file names, logs and metrics; unique, and matching
    /// `^[a-z0-9][a-z0-9._-]{0,63}$` so it is safe as a path component.
    package var name: String
    /// `url`: where to connect, with any streams named in it.
    package var endpoint: StreamEndpoint
    /// `connections`: how many identical connections race (required, 1 to 64).
    package var connections: Int
    /// `subscribe`: stream names sent in one batched SUBSCRIBE after each connect (default
    /// none); needed when the URL itself names no streams.
    package var subscribe: [String]
    /// `late_policy`: what to do with a copy that arrives after later ids of its stream were
    /// merged (default `"place"`).
    package var latePolicy: LatePolicy
    /// `hole_wait`: how long a copy may trail the first arrival and still take its place
    /// (default `"auto"`; see ``HoleWait``).
    package var holeWait: HoleWait
    /// `stale_after`: a connection that has delivered nothing for this long is replaced
    /// (default `"10s"`).
    package var staleAfter: Duration
    /// `stream_stale_after`: how long one stream may be quiet before the stream watchdog acts
    /// (see ``StreamWatchdog``). nil (the key absent): each stream kind's default
    /// (``StreamKind/quietLimit``); `.some(nil)` (`"never"`): not watched; else this for every
    /// stream of the capture.
    package var streamStaleAfter: Duration??
    /// `connect_timeout`: TCP + TLS + WebSocket upgrade must finish within this (default `"5s"`).
    package var connectTimeout: Duration
    /// `backoff_initial`: first pause before reconnecting a failed connection (default `"250ms"`).
    package var backoffInitial: Duration
    /// `backoff_max`: the pause doubles up to this (default `"30s"`).
    package var backoffMax: Duration
    /// `ca_file`: an extra trusted CA certificate (PEM, absolute path), for tests and
    /// private deployments; the system trust store is used as well.
    package var caFile: String?
    /// `max_connection_age`: a connection is replaced (make-before-break) when it is this old,
    /// minus a random part of `max_connection_age_jitter` (default `"23h30m"`: Binance closes
    /// every connection at 24 h).
    package var maxConnectionAge: Duration
    /// `max_connection_age_jitter`: each connection rotates up to this much earlier, drawn anew
    /// per connection, so the N connections never rotate together (default `"10m"`).
    package var maxConnectionAgeJitter: Duration
    /// `books`, `market`, `snapshot_limit`, `book_checkpoint_interval`, `rest_url`: the capture's order books.
    package var books: CaptureBooksConfig

    /// Builds a capture in code (tests, tools); defaults are those of the file format.
    package init(
        name: String,
        endpoint: StreamEndpoint,
        connections: Int,
        subscribe: [String] = [],
        latePolicy: LatePolicy = .place,
        holeWait: HoleWait = .auto,
        staleAfter: Duration = .seconds(10),
        streamStaleAfter: Duration?? = nil,
        connectTimeout: Duration = .seconds(5),
        backoffInitial: Duration = .milliseconds(250),
        backoffMax: Duration = .seconds(30),
        caFile: String? = nil,
        maxConnectionAge: Duration = .seconds(23 * 3600 + 30 * 60),
        maxConnectionAgeJitter: Duration = .seconds(600),
        books: CaptureBooksConfig? = nil
    ) {
        self.name = name
        self.endpoint = endpoint
        self.connections = connections
        self.subscribe = subscribe
        self.latePolicy = latePolicy
        self.holeWait = holeWait
        self.staleAfter = staleAfter
        self.streamStaleAfter = streamStaleAfter
        self.connectTimeout = connectTimeout
        self.backoffInitial = backoffInitial
        self.backoffMax = backoffMax
        self.caFile = caFile
        self.maxConnectionAge = maxConnectionAge
        self.maxConnectionAgeJitter = maxConnectionAgeJitter
        self.books = books ?? CaptureBooksConfig(streams: endpoint.streams + subscribe, endpoint: endpoint)
    }

    static let keys = [
        "name", "url", "connections", "subscribe", "late_policy", "hole_wait", "stale_after", "stream_stale_after",
        "connect_timeout",
        "backoff_initial", "backoff_max", "ca_file", "max_connection_age", "max_connection_age_jitter",
    ] + CaptureBooksConfig.keys
    static let connectionsRange = 1...64
    static let staleAfterRange = Duration.milliseconds(100)...Duration.seconds(3600)
    static let streamStaleAfterRange = Duration.seconds(1)...Duration.seconds(24 * 3600)
    static let connectTimeoutRange = Duration.milliseconds(100)...Duration.seconds(300)
    static let backoffInitialRange = Duration.milliseconds(1)...Duration.seconds(60)
    static let backoffMaxRange = Duration.milliseconds(1)...Duration.seconds(3600)
    static let maxConnectionAgeRange = Duration.milliseconds(500)...Duration.seconds(24 * 3600)
    static let maxConnectionAgeJitterRange = Duration.zero...Duration.seconds(12 * 3600)

    /// Whether `name` is a valid capture name (`^[a-z0-9][a-z0-9._-]{0,63}$`).
    package static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        return isLowerAlphanumeric(first)
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Reads one `[[capture]]` table; `number` (1-based) names it in errors until its name is known.
    init(reading table: TOMLTable, number: Int, file: String) throws(ConfigError) {
        var label = "[[capture]] #\(number)"
        if case .string(let name)? = table["name"]?.value.kind {
            label = "capture \(TOMLValue.quoted(name))"
        }
        let reader = ConfigTableReader(file: file, table: table, context: label + ": ", location: "in " + label)
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)

        let nameRule = "a name matching ^[a-z0-9][a-z0-9._-]{0,63}$ (lowercase letters, digits, '.', '_', '-')"
        guard let (name, nameValue) = try reader.string("name", expected: nameRule) else {
            throw reader.missing("name", "a unique name like \"btcusdt-book\"")
        }
        guard Self.isValidName(name) else {
            throw reader.invalid("name", nameValue, expected: nameRule)
        }

        guard let (url, urlValue) = try reader.string(
            "url", expected: "a string like \"wss://fstream.binance.com/public/ws/btcusdt@bookTicker\"")
        else {
            throw reader.missing("url", "like \"wss://fstream.binance.com/public/ws/btcusdt@bookTicker\"")
        }
        let endpoint: StreamEndpoint
        do {
            endpoint = try StreamEndpoint.parse(url)
        } catch {
            throw reader.fail("url: \(error.message)", line: urlValue.line)
        }

        guard let connections = try reader.integer("connections", in: Self.connectionsRange) else {
            throw reader.missing("connections", "how many connections race, an integer from 1 to 64")
        }
        self.init(name: name, endpoint: endpoint, connections: connections)

        if let value = reader.value("subscribe") {
            let expected = "a list of stream names like [\"btcusdt@bookTicker\"]"
            guard case .array(let elements) = value.kind else {
                throw reader.invalid("subscribe", value, expected: expected)
            }
            var seen = Set(endpoint.streams)
            for element in elements {
                guard case .string(let stream) = element.kind else {
                    throw reader.invalid("subscribe", value, expected: expected)
                }
                do {
                    try StreamEndpoint.validateStreamName(stream, route: endpoint.route)
                } catch {
                    throw reader.fail("subscribe: \(error.message)", line: element.line)
                }
                guard seen.insert(stream).inserted else {
                    throw reader.fail("subscribe: stream \(stream) is listed twice (in the url or in subscribe)", line: element.line)
                }
                subscribe.append(stream)
            }
        }
        if endpoint.streams.isEmpty && subscribe.isEmpty {
            throw reader.fail(
                "the url names no streams and subscribe is empty; name them in the url (…/ws/btcusdt@bookTicker) or list them in subscribe",
                line: urlValue.line)
        }
        if let policy = try reader.choice("late_policy", as: LatePolicy.self) {
            latePolicy = policy
        }
        if let value = reader.value("hole_wait") {
            let expected = "\"auto\" or a duration string from 0s to 1s like \"5ms\""
            guard case .string(let text) = value.kind else { throw reader.invalid("hole_wait", value, expected: expected) }
            if text == "auto" {
                holeWait = .auto
            } else {
                guard let fixed = try? HumanDuration.parse(text), HoleWait.fixedRange.contains(fixed) else {
                    throw reader.fail("hole_wait must be \(expected), got \(value.shortDescription)", line: value.line)
                }
                holeWait = .fixed(fixed)
            }
        }
        if case .some(.some(let value)) = try reader.duration("stale_after", in: Self.staleAfterRange, example: .seconds(10)) {
            staleAfter = value
        }
        if let value = try reader.duration(
            "stream_stale_after", in: Self.streamStaleAfterRange, example: .seconds(30), allowNever: true)
        {
            streamStaleAfter = .some(value)
        }
        if case .some(.some(let value)) = try reader.duration(
            "connect_timeout", in: Self.connectTimeoutRange, example: .seconds(5))
        {
            connectTimeout = value
        }
        if case .some(.some(let value)) = try reader.duration(
            "backoff_initial", in: Self.backoffInitialRange, example: .milliseconds(250))
        {
            backoffInitial = value
        }
        if case .some(.some(let value)) = try reader.duration("backoff_max", in: Self.backoffMaxRange, example: .seconds(30)) {
            backoffMax = value
        }
        if backoffMax < backoffInitial {
            throw reader.fail(
                "backoff_max (\(HumanDuration.format(backoffMax))) must not be less than backoff_initial (\(HumanDuration.format(backoffInitial)))",
                line: reader.value("backoff_max")?.line ?? reader.value("backoff_initial")?.line)
        }
        if case .some(.some(let value)) = try reader.duration(
            "max_connection_age", in: Self.maxConnectionAgeRange, example: .seconds(23 * 3600 + 30 * 60))
        {
            maxConnectionAge = value
        }
        if case .some(.some(let value)) = try reader.duration(
            "max_connection_age_jitter", in: Self.maxConnectionAgeJitterRange, example: .seconds(600))
        {
            maxConnectionAgeJitter = value
        }
        if maxConnectionAgeJitter >= maxConnectionAge {
            throw reader.fail(
                "max_connection_age_jitter (\(HumanDuration.format(maxConnectionAgeJitter))) must be less than max_connection_age (\(HumanDuration.format(maxConnectionAge)))",
                line: reader.value("max_connection_age_jitter")?.line ?? reader.value("max_connection_age")?.line)
        }
        if let (path, value) = try reader.string("ca_file", expected: "an absolute path to a PEM file") {
            guard path.hasPrefix("/") else {
                throw reader.invalid("ca_file", value, expected: "an absolute path to a PEM file")
            }
            caFile = path
        }
        books = try CaptureBooksConfig(reading: reader, streams: endpoint.streams + subscribe, endpoint: endpoint)
    }
}
