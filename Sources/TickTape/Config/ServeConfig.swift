/// The `[serve]` table: the one listener that serves the merged stream on this host (the
/// Binance-compatible relay, depth REST and ticktape's own JSON API).
///
/// Loopback by default. A listener other hosts can reach must have `token_file`: every
/// request then needs `Authorization: Bearer <token>` (compared in constant time).
package struct ServeConfig: Sendable, Equatable {
    /// `listen`: the address (default `"127.0.0.1:9480"`); nil (`"off"`) serves nothing.
    package var listen: ListenAddress?
    /// `token_file`: a file whose first line is the bearer token; required unless `listen` is
    /// a loopback address (where it is optional). Read at start and on reload; never logged.
    package var tokenFile: String?
    /// `max_clients`: connections open at once, HTTP and WebSocket (default 4096); the next
    /// one is refused with 503.
    package var maxClients: Int
    /// `max_subscriptions`: streams per WebSocket client (default 1024, as Binance); the next
    /// SUBSCRIBE gets Binance's `Too many subscriptions` error.
    package var maxSubscriptions: Int
    /// `max_request_bytes`: the largest request head, URI and headers (default 16 KiB); larger
    /// gets 431.
    package var maxRequestBytes: Int
    /// `idle_timeout`: an HTTP connection with no request (or a WebSocket client that answers
    /// no ping) for this long is closed (default `"60s"`).
    package var idleTimeout: Duration
    /// `ping_interval`: the relay pings every WebSocket client this often (default `"30s"`).
    package var pingInterval: Duration
    /// `client_queue`: bytes queued for one WebSocket client that it has not read yet; beyond
    /// it the client is closed with 1008 (default `"4MiB"`).
    package var clientQueueBytes: Int
    /// `slow_client_timeout`: a client whose socket stays unwritable this long is closed with
    /// 1008 even below `client_queue` (default `"2s"`).
    package var slowClientTimeout: Duration
    /// `threads`: event-loop threads of the listener (default 1; the capture's loops and the
    /// merger keep their CPUs).
    package var threads: Int

    package init(
        listen: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 9480), tokenFile: String? = nil,
        maxClients: Int = 4096, maxSubscriptions: Int = 1024, maxRequestBytes: Int = 16 << 10,
        idleTimeout: Duration = .seconds(60), pingInterval: Duration = .seconds(30), clientQueueBytes: Int = 4 << 20,
        slowClientTimeout: Duration = .seconds(2), threads: Int = 1
    ) {
        self.listen = listen
        self.tokenFile = tokenFile
        self.maxClients = maxClients
        self.maxSubscriptions = maxSubscriptions
        self.maxRequestBytes = maxRequestBytes
        self.idleTimeout = idleTimeout
        self.pingInterval = pingInterval
        self.clientQueueBytes = clientQueueBytes
        self.slowClientTimeout = slowClientTimeout
        self.threads = threads
    }

    static let keys = [
        "listen", "token_file", "max_clients", "max_subscriptions", "max_request_bytes", "idle_timeout", "ping_interval",
        "client_queue", "slow_client_timeout", "threads",
    ]
    static let listenExpectation =
        "\"off\" or an address with a port like \"127.0.0.1:9480\" or \"[::1]:9480\" (port 0 picks a free one)"

    /// Reads `[serve]`; absent keys keep their defaults.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        if let (text, value) = try reader.string("listen", expected: Self.listenExpectation) {
            if text == "off" {
                listen = nil
            } else {
                guard let address = ListenAddress.parse(text) else {
                    throw reader.invalid("listen", value, expected: Self.listenExpectation)
                }
                listen = address
            }
        }
        if let (path, value) = try reader.string("token_file", expected: "an absolute path like \"/etc/ticktape/serve.token\"") {
            guard path.hasPrefix("/") else {
                throw reader.invalid("token_file", value, expected: "an absolute path like \"/etc/ticktape/serve.token\"")
            }
            tokenFile = path
        }
        if let n = try reader.integer("max_clients", in: 1...1_000_000) { maxClients = n }
        if let n = try reader.integer("max_subscriptions", in: 1...65_536) { maxSubscriptions = n }
        if let n = try reader.size("max_request_bytes", in: 1024...(1 << 20), example: 16 << 10) { maxRequestBytes = Int(n) }
        if case .some(.some(let d)) = try reader.duration("idle_timeout", in: .seconds(1)...(.seconds(86_400)), example: .seconds(60)) {
            idleTimeout = d
        }
        if case .some(.some(let d)) = try reader.duration("ping_interval", in: .seconds(1)...(.seconds(3600)), example: .seconds(30)) {
            pingInterval = d
        }
        if let n = try reader.size("client_queue", in: (64 << 10)...(1 << 30), example: 4 << 20) { clientQueueBytes = Int(n) }
        if case .some(.some(let d)) = try reader.duration(
            "slow_client_timeout", in: .milliseconds(10)...(.seconds(600)), example: .seconds(2))
        {
            slowClientTimeout = d
        }
        if let n = try reader.integer("threads", in: 1...64) { threads = n }
        if let listen, !listen.isLoopback, tokenFile == nil {
            throw reader.fail(
                "listen = \"\(listen)\" is reachable from other hosts and needs token_file (a bearer token clients must send); use a loopback address like \"127.0.0.1:\(listen.port)\" to serve without one",
                line: reader.value("listen")?.line)
        }
    }
}
