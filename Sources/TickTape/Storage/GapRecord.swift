/// One entry of a capture's gap ledger: data that is known to be missing from the capture.
///
/// Two causes exist. `sequence`: the exchange's sequence rule proves ids were never received
/// (`firstMissing...lastMissing` of `stream`). `storage`: lines were received but could not be
/// kept because the disk failed for longer than `max_buffered` could bridge; the entry covers
/// one contiguous dropped span, with its first and last receive stamps and, per stream, the
/// first and last id dropped (`streams`). For a storage entry `stream`/`firstMissing`/
/// `lastMissing` repeat the only stream's values, or are `*`/-1/-1 when several streams lost
/// lines (read `streams` then).
package struct GapRecord: Sendable, Equatable {
    /// Stream the gap belongs to.
    package var stream: String
    /// First and last missing id (-1 when not known or not one stream).
    package var firstMissing: Int64
    package var lastMissing: Int64
    /// When the gap was detected (`CLOCK_REALTIME` ns).
    package var detectedAt: Int64
    /// Why: `sequence` or `storage`.
    package var cause: String
    /// Connections delivering at that moment.
    package var connectionsUp: Int
    /// `storage` only: receive stamps of the first and last dropped line, and how many lines.
    package var firstDroppedAt: Int64?
    package var lastDroppedAt: Int64?
    package var droppedLines: Int?
    /// `storage` only: per stream, the ids dropped.
    package var streams: [GapStreamRange]

    package init(
        stream: String, firstMissing: Int64, lastMissing: Int64, detectedAt: Int64, cause: String, connectionsUp: Int,
        firstDroppedAt: Int64? = nil, lastDroppedAt: Int64? = nil, droppedLines: Int? = nil,
        streams: [GapStreamRange] = []
    ) {
        self.stream = stream
        self.firstMissing = firstMissing
        self.lastMissing = lastMissing
        self.detectedAt = detectedAt
        self.cause = cause
        self.connectionsUp = connectionsUp
        self.firstDroppedAt = firstDroppedAt
        self.lastDroppedAt = lastDroppedAt
        self.droppedLines = droppedLines
        self.streams = streams
    }

    /// The JSON form used in `gaps.jsonl` and in manifests.
    package var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("stream", .string(stream)), ("first_missing", .int(firstMissing)), ("last_missing", .int(lastMissing)),
            ("detected_at_ns", .int(detectedAt)), ("cause", .string(cause)), ("connections_up", .int(Int64(connectionsUp))),
        ]
        if let firstDroppedAt { fields.append(("first_dropped_ns", .int(firstDroppedAt))) }
        if let lastDroppedAt { fields.append(("last_dropped_ns", .int(lastDroppedAt))) }
        if let droppedLines { fields.append(("dropped_lines", .int(Int64(droppedLines)))) }
        if !streams.isEmpty { fields.append(("streams", .array(streams.map(\.json)))) }
        return .object(fields)
    }

    /// One JSON line, as written to `gaps.jsonl`.
    package var jsonLine: String { json.compact + "\n" }

    /// Reads an entry back (ledger line or manifest element).
    package init(json: JSONValue) throws(ManifestError) {
        stream = try json.require("stream").asString()
        firstMissing = try json.require("first_missing").asInt()
        lastMissing = try json.require("last_missing").asInt()
        detectedAt = try json.require("detected_at_ns").asInt()
        cause = try json.require("cause").asString()
        connectionsUp = Int(try json.require("connections_up").asInt())
        firstDroppedAt = json["first_dropped_ns"]?.intValue
        lastDroppedAt = json["last_dropped_ns"]?.intValue
        droppedLines = json["dropped_lines"]?.intValue.map { Int($0) }
        var ranges: [GapStreamRange] = []
        for item in json["streams"]?.arrayValue ?? [] { ranges.append(try GapStreamRange(json: item)) }
        streams = ranges
    }

    /// A human line for `ticktape verify` and `stats`.
    package var summary: String {
        if cause == "storage" {
            let ranges = streams.map { r in
                "\(r.stream) \(r.count) line(s)" + (r.firstID.map { f in " ids \(f)...\(r.lastID ?? f)" } ?? "")
            }.joined(separator: ", ")
            return "storage: \(droppedLines ?? 0) line(s) dropped, received \(firstDroppedAt ?? 0)...\(lastDroppedAt ?? 0) ns: \(ranges)"
        }
        return "\(cause): \(stream) ids \(firstMissing)...\(lastMissing) missing (detected \(detectedAt) ns, \(connectionsUp) connection(s) up)"
    }
}

/// The part of one stream inside a `storage` gap: which ids were dropped and how many lines.
package struct GapStreamRange: Sendable, Equatable {
    package var stream: String
    /// First and last id dropped; nil for streams without a sequence id.
    package var firstID: Int64?
    package var lastID: Int64?
    package var count: Int

    package init(stream: String, firstID: Int64?, lastID: Int64?, count: Int) {
        self.stream = stream
        self.firstID = firstID
        self.lastID = lastID
        self.count = count
    }

    var json: JSONValue {
        .object([
            ("stream", .string(stream)), ("first_id", firstID.map(JSONValue.int) ?? .null),
            ("last_id", lastID.map(JSONValue.int) ?? .null), ("count", .int(Int64(count))),
        ])
    }

    init(json: JSONValue) throws(ManifestError) {
        stream = try json.require("stream").asString()
        firstID = json["first_id"]?.intValue
        lastID = json["last_id"]?.intValue
        count = Int(try json.require("count").asInt())
    }
}
