/// A capture's order-book settings: whether books are kept for its diff-depth streams, where and how large
/// their REST snapshots are, and how often a checkpoint snapshot is recorded.
package struct CaptureBooksConfig: Sendable, Equatable {
    /// `books`: keep a local book per diff-depth stream. Default: on exactly when the capture carries a
    /// diff-depth stream (`@depth`, `@depth@100ms`, …), since only those need the snapshot procedure; a
    /// capture of bookTicker or trades costs nothing.
    package var enabled: Bool
    /// `market`: whose REST rules apply, `"usdm"` or `"spot"`; from the host for Binance URLs, `"usdm"` for
    /// other hosts (a simulator) unless given.
    package var market: RestMarket
    /// `snapshot_limit`: levels per REST snapshot (default 1000: weight 20 on USD-M, 50 on spot).
    package var snapshotLimit: Int
    /// `book_checkpoint_interval`: record a checkpoint snapshot of every book this often, so a replay can
    /// seek; `nil` (`"never"`, the default) records only the snapshots a book was built from.
    package var checkpointInterval: Duration?
    /// `rest_url`: where snapshots come from (default `https://fapi.binance.com` or `https://api.binance.com`
    /// by market for Binance URLs; for other hosts the stream's own host and port, `https` when the stream
    /// is `wss` (a simulator serves both); `http://` only for loopback test servers).
    package var restEndpoint: RestEndpoint

    /// `bars`: OHLC bar intervals built from the capture's trades (`["1s", "1m"]`; `[]`: none).
    /// Default `["1m"]` when the capture carries a trade or aggTrade stream. Closed bars go to
    /// `<capture>/bars.csv` and stay in memory for the serving side.
    package var barIntervals: [BarInterval]

    static let keys = ["books", "market", "snapshot_limit", "book_checkpoint_interval", "rest_url", "bars"]

    /// Whether `stream` carries trades bars are built from.
    package static func isTrades(_ stream: String) -> Bool {
        stream.hasSuffix("@trade") || stream.hasSuffix("@aggTrade")
    }
    static let checkpointRange = Duration.seconds(1)...Duration.seconds(24 * 3600)

    /// The defaults for a capture with these streams on this route.
    package init(streams: [String], endpoint: StreamEndpoint, market: RestMarket? = nil) {
        let route = endpoint.route
        let market = market ?? (route == .spot ? .spot : .usdm)
        self.enabled = streams.contains(where: Self.isDiffDepth)
        self.barIntervals = streams.contains(where: Self.isTrades) ? [BarInterval("1m")!] : []
        self.market = market
        self.snapshotLimit = market.defaultSnapshotLimit
        self.checkpointInterval = nil
        // A host that is not Binance's (a simulator, a relay) answers REST itself: never reach
        // out to Binance on its behalf.
        let own = "\(endpoint.useTLS ? "https" : "http")://\(endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host):\(endpoint.port)"
        self.restEndpoint =
            (route == .other ? (try? RestEndpoint.parse(own)) : nil) ?? (try! RestEndpoint.parse(market.defaultBaseURL))
    }

    /// Whether `stream` is a diff-depth stream (`btcusdt@depth`, `btcusdt@depth@100ms`), not a partial one
    /// (`@depth20`), which carries whole snapshots and needs no REST.
    package static func isDiffDepth(_ stream: String) -> Bool {
        guard let range = stream.firstRange(of: "@depth") else { return false }
        let rest = stream[range.upperBound...]
        return rest.isEmpty || rest.hasPrefix("@")
    }

    /// Reads the book keys of one `[[capture]]`.
    init(reading reader: ConfigTableReader, streams: [String], endpoint: StreamEndpoint) throws(ConfigError) {
        let route = endpoint.route
        var market: RestMarket?
        if let value = reader.value("market") {
            guard case .string(let text) = value.kind, let chosen = RestMarket(rawValue: text) else {
                throw reader.invalid("market", value, expected: "\"usdm\" or \"spot\"")
            }
            let implied: RestMarket? = route == .spot ? .spot : route == .other ? nil : .usdm
            if let implied, implied != chosen {
                throw reader.fail("market is \"\(chosen.rawValue)\" but the url is a \(implied.rawValue) host; leave market out for Binance hosts", line: value.line)
            }
            market = chosen
        }
        self.init(streams: streams, endpoint: endpoint, market: market)
        let hasDepth = streams.contains { $0.contains("@depth") }
        if let enabled = try reader.boolean("books") {
            if enabled && !hasDepth {
                throw reader.fail("books = true but the capture has no depth stream (@depth, @depth@100ms, …) to build a book from", line: reader.value("books")?.line)
            }
            self.enabled = enabled
        }
        if let value = reader.value("bars") {
            let expected = "a list of intervals like [\"1s\", \"1m\"] (s, m, h, d), or [] for none"
            guard case .array(let elements) = value.kind else { throw reader.invalid("bars", value, expected: expected) }
            var intervals: [BarInterval] = []
            for element in elements {
                guard case .string(let text) = element.kind, let interval = BarInterval(text) else {
                    throw reader.invalid("bars", value, expected: expected)
                }
                guard !intervals.contains(interval) else {
                    throw reader.fail("bars: interval \(text) is listed twice", line: element.line)
                }
                intervals.append(interval)
            }
            if !intervals.isEmpty && !streams.contains(where: Self.isTrades) {
                throw reader.fail("bars are built from trades, but the capture has no @trade or @aggTrade stream", line: value.line)
            }
            barIntervals = intervals
        }
        if let value = reader.value("snapshot_limit") {
            guard case .integer(let limit) = value.kind, self.market.snapshotWeight(limit: limit) != nil else {
                throw reader.invalid("snapshot_limit", value, expected: "\(self.market.acceptedLimits) on \(self.market.rawValue)")
            }
            self.snapshotLimit = limit
        }
        if let interval = try reader.duration(
            "book_checkpoint_interval", in: Self.checkpointRange, example: .seconds(3600), allowNever: true)
        {
            self.checkpointInterval = interval
        }
        if let (url, value) = try reader.string("rest_url", expected: "a URL like \"https://fapi.binance.com\"") {
            do {
                self.restEndpoint = try RestEndpoint.parse(url)
            } catch {
                throw reader.fail("rest_url: \(error.message)", line: value.line)
            }
        }
    }
}
