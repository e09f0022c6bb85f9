import Synchronization

/// The simulator's REST depth endpoints, `GET /fapi/v1/depth` and `GET /api/v3/depth`: parameter checks,
/// weight accounting per market, queued faults, and the snapshot itself from the synthetic books.
///
/// Shared by every HTTP connection; one lock covers the limiters and the fault queue, the books have their own.
final class RestDepthService: Sendable {
    /// What to send back for one request.
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String
        /// Send this much later (``RestFault/delay(_:)``).
        var delay: Duration?
    }

    private struct State {
        var limiters: [SimulatedMarket: RestWeightLimiter]
        var faults: [RestFault] = []
    }

    private let state: Mutex<State>
    private let depth: SyntheticDepthFeed?

    init(limits: RestLimits, depth: SyntheticDepthFeed?) {
        var limiters: [SimulatedMarket: RestWeightLimiter] = [:]
        for market in SimulatedMarket.allCases {
            limiters[market] = RestWeightLimiter(limit: limits.weightLimit(market), window: limits.window, ban: limits.banDuration)
        }
        self.state = Mutex(State(limiters: limiters))
        self.depth = depth
    }

    /// The market whose depth endpoint `path` is, if it is one.
    static func market(path: String) -> SimulatedMarket? {
        SimulatedMarket.allCases.first { $0.depthPath == path }
    }

    func enqueue(_ fault: RestFault, count: Int) {
        self.state.withLock { state in
            for _ in 0..<max(0, count) { state.faults.append(fault) }
        }
    }

    func statistics(_ market: SimulatedMarket) -> RestStatistics {
        self.state.withLock { $0.limiters[market]!.statistics }
    }

    /// Answers one depth request of `market` with query `query` (the part after `?`), at Unix time `now` and
    /// schedule offset `offset` (`nil` before the schedule started: the books are in their initial state).
    func reply(market: SimulatedMarket, query: Substring, now: Int64, offset: Int64?) -> Reply {
        var parameters: [Substring: Substring] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parameters[parts[0]] = parts.count == 2 ? parts[1] : ""
        }
        var symbolIndex: Int?
        if let symbol = parameters["symbol"], let feed = self.depth, feed.configuration.market == market,
            symbol.allSatisfy({ $0.isUppercase || $0.isNumber })
        {
            symbolIndex = feed.configuration.symbols.firstIndex(of: symbol.lowercased())
        }
        var limit = market.defaultSnapshotLimit
        if let text = parameters["limit"] {
            limit = Int(text) ?? -1
        }
        return self.state.withLock { state -> Reply in
            guard parameters["symbol"] != nil else {
                state.limiters[market]!.noteUnweighed()
                return Self.error(400, code: -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
            }
            guard let symbolIndex, let depth = self.depth else {
                state.limiters[market]!.noteUnweighed()
                return Self.error(400, code: -1121, "Invalid symbol.")
            }
            guard let weight = market.snapshotWeight(limit: limit) else {
                state.limiters[market]!.noteUnweighed()
                return Self.error(400, code: -1100, "Illegal characters found in parameter 'limit'; legal range is '\(market.limitRangeText)'.")
            }
            var delay: Duration?
            var malformed = false
            if !state.faults.isEmpty {
                switch state.faults.removeFirst() {
                case .delay(let duration):
                    delay = duration
                case .status(let code, let retryAfter):
                    state.limiters[market]!.noteUnweighed()
                    var reply = Self.error(code, code: -1001, "Internal error; unable to process your request. Please try again.")
                    if let retryAfter { reply.headers.append(("Retry-After", String(retryAfter))) }
                    return reply
                case .malformedBody:
                    malformed = true
                }
            }
            switch state.limiters[market]!.request(weight: weight, at: now) {
            case .rateLimited(let retryAfter, let used):
                var reply = Self.error(429, code: -1003, "Too much request weight used; current limit is \(state.limiters[market]!.limit) request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.")
                reply.headers += [("Retry-After", String(retryAfter)), ("X-MBX-USED-WEIGHT-1M", String(used))]
                return reply
            case .banned(let retryAfter, let used):
                var reply = Self.error(418, code: -1003, "Way too much request weight used; IP banned until later. Please use WebSocket Streams for live updates to avoid bans.")
                reply.headers += [("Retry-After", String(retryAfter)), ("X-MBX-USED-WEIGHT-1M", String(used))]
                return reply
            case .admit(let used):
                state.limiters[market]!.noteSnapshot()
                let (book, lastUpdateOffset) = depth.snapshot(symbol: symbolIndex, limit: limit, at: offset ?? -1)
                var body = Self.encode(book, market: market, eventMillis: now / 1_000_000, updateMillis: (now - (offset ?? 0) + lastUpdateOffset) / 1_000_000)
                if malformed { body = String(body.prefix(body.utf8.count / 2)) }
                return Reply(
                    status: 200, headers: [("Content-Type", "application/json"), ("X-MBX-USED-WEIGHT-1M", String(used))],
                    body: body, delay: delay)
            }
        }
    }

    /// `{"lastUpdateId":…,"E":…,"T":…,"bids":[["p","q"],…],"asks":[…]}` (no `E`/`T` on spot), as Binance.
    static func encode(_ book: SimulatedDepth, market: SimulatedMarket, eventMillis: Int64, updateMillis: Int64) -> String {
        var text = #"{"lastUpdateId":\#(book.lastUpdateID)"#
        if market == .usdm { text += #","E":\#(eventMillis),"T":\#(updateMillis)"# }
        func levels(_ levels: [DepthLevel]) -> String {
            levels.map { #"[""# + $0.price + #"",""# + $0.quantity + #""]"# }.joined(separator: ",")
        }
        text += #","bids":["# + levels(book.bids) + #"],"asks":["# + levels(book.asks) + "]}"
        return text
    }

    private static func error(_ status: Int, code: Int, _ message: String) -> Reply {
        Reply(
            status: status, headers: [("Content-Type", "application/json")],
            body: #"{"code":\#(code),"msg":"\#(message)"}"#, delay: nil)
    }
}
