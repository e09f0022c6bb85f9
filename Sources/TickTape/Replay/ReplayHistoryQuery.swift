import BinanceWire

/// `GET /api/v1/range?stream=` and `GET /api/v1/history?stream=&from=&to=&limit=&cursor=`
/// on the replay server: what the store holds of a stream, and the stored lines of a stretch.
///
/// The manifests are the index: `range` reads nothing else, and `history` opens only the
/// segments whose manifest says they overlap the stretch and carry the stream. History is
/// NDJSON-like text: each capture line as stored (`<receive ns> <frame>`), then, when `limit`
/// cut it short, a last line `{"next":"<token>"}`; the same request with `cursor=<token>`
/// continues after the last line sent (from, to and limit as before).
enum ReplayHistoryQuery {
    /// Lines per history response unless `limit` says otherwise, and the most it may say.
    static let defaultLimit = 1_000
    static let maxLimit = 100_000

    /// A validated history request.
    struct History {
        var stream: String
        var from: Int64
        var to: Int64
        var limit: Int
        var resume: (capture: String, segment: String, line: Int)?
    }

    /// `range`'s JSON answer.
    static func range(_ request: ServeRequest, catalog: ReplayCatalog) throws(ServeAPIError) -> ServeResponse {
        let stream = try streamName(request)
        guard let r = catalog.range(of: stream) else { throw unknown(stream, catalog: catalog) }
        let body =
            #"{"stream":"# + JSONString.quoted(stream) + #","captures":["# + r.captures.map(JSONString.quoted).joined(separator: ",")
            + #"],"first_ns":"# + String(r.firstReceivedAt) + #","last_ns":"# + String(r.lastReceivedAt)
            + #","first":"# + JSONString.quoted(ReplayInstant.iso(r.firstReceivedAt)) + #","last":"#
            + JSONString.quoted(ReplayInstant.iso(r.lastReceivedAt)) + #","count":"# + String(r.count)
            + #","segments":"# + String(r.segments) + #","unsealed_segments":"# + String(r.unsealedSegments) + "}"
        return .json(200, body)
    }

    /// Checks a history request against the catalog: 400 with the reason for a bad or reversed
    /// time, a stretch outside the data, an unknown stream, a bad limit or cursor.
    static func history(_ request: ServeRequest, catalog: ReplayCatalog) throws(ServeAPIError) -> History {
        let stream = try streamName(request)
        guard let r = catalog.range(of: stream) else { throw unknown(stream, catalog: catalog) }
        func time(_ name: String) throws(ServeAPIError) -> Int64? {
            guard let text = request.query[name] else { return nil }
            guard let ns = ReplayInstant.nanos(text) else {
                throw ServeAPIError(
                    400,
                    "parameter '\(name)' must be epoch milliseconds (1723161270000), epoch nanoseconds or UTC ISO 8601 "
                        + "(2024-08-08T23:54:30.250Z), got '\(ServeAPIParameters.printable(text))'")
            }
            return ns
        }
        let from = try time("from") ?? r.firstReceivedAt
        let to = try time("to") ?? Int64.max
        guard to >= from else {
            throw ServeAPIError(400, "'to' (\(ReplayInstant.iso(to))) is before 'from' (\(ReplayInstant.iso(from)))")
        }
        let lastKnown = r.unsealedSegments > 0 ? Int64.max : r.lastReceivedAt
        guard from <= lastKnown, to >= r.firstReceivedAt else {
            throw ServeAPIError(
                400,
                "the stretch \(ReplayInstant.iso(from)) to \(to == .max ? "the end" : ReplayInstant.iso(to)) is outside the data: "
                    + "\(stream) is stored from \(ReplayInstant.iso(r.firstReceivedAt)) to \(ReplayInstant.iso(r.lastReceivedAt))")
        }
        let limit = try ServeAPIParameters.integer(request, "limit", in: 1...maxLimit, default: defaultLimit)
        var resume: (String, String, Int)?
        if let token = request.query["cursor"] {
            let parts = token.split(separator: "~")
            guard parts.count == 2, let line = Int(parts[1]), line >= 0,
                let capture = catalog.captures.first(where: { $0.segments.contains { $0.base == parts[0] } })
            else {
                throw ServeAPIError(
                    400, "parameter 'cursor' is not a continuation this store knows: '\(ServeAPIParameters.printable(token))'")
            }
            resume = (capture.name, String(parts[0]), line)
        }
        return History(stream: stream, from: from, to: to, limit: limit, resume: resume)
    }

    private static func streamName(_ request: ServeRequest) throws(ServeAPIError) -> String {
        guard let stream = request.query["stream"], !stream.isEmpty else {
            throw ServeAPIError(400, "parameter 'stream' is required (e.g. stream=btcusdt@trade)")
        }
        guard RelayClientHandler.isStreamName(stream) else {
            throw ServeAPIError(400, "parameter 'stream' is not a stream name: '\(ServeAPIParameters.printable(stream))'")
        }
        return stream
    }

    private static func unknown(_ stream: String, catalog: ReplayCatalog) -> ServeAPIError {
        let known = catalog.knownStreams
        return ServeAPIError(
            400,
            "no sealed segment holds stream '\(ServeAPIParameters.printable(stream))'; stored: "
                + (known.isEmpty ? "none" : known.prefix(20).joined(separator: ", ")))
    }
}
