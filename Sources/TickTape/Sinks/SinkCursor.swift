/// Where a sink stands in one capture: the next line it has not had confirmed by its target.
///
/// `offset` counts bytes of the segment's plain line stream: the `.tape.open`/`.tape` file, the
/// untouched `.tape.recovered` source of a crash-recovered segment, and the decompressed
/// `.tape.gz` are byte-identical prefixes of each other, so one offset is valid in whichever
/// form the segment has when the sink comes back to it. It always points at the start of a line.
/// `state` carries what the sink derived from the lines before the cursor and must not lose
/// (the open bars), so a resumed sink writes exactly what an uninterrupted one would.
package struct SinkCursor: Sendable, Equatable {
    /// Base name of the segment (`<capture>-<UTC start>-<nnn>`).
    package var segment: String
    /// Bytes of the segment's lines consumed.
    package var offset: Int64
    /// Lines of the segment consumed (for lag and logs).
    package var lines: Int64
    /// Receive stamp (ns) of the last consumed line, 0 if none.
    package var lastReceivedAt: Int64
    /// The sink's derived state at this point (JSON), `.null` when it has none.
    package var state: JSONValue

    package init(segment: String, offset: Int64 = 0, lines: Int64 = 0, lastReceivedAt: Int64 = 0, state: JSONValue = .null) {
        self.segment = segment
        self.offset = offset
        self.lines = lines
        self.lastReceivedAt = lastReceivedAt
        self.state = state
    }

    var json: JSONValue {
        .object([
            ("version", .int(1)), ("segment", .string(segment)), ("offset", .int(offset)), ("lines", .int(lines)),
            ("last_received_at_ns", .int(lastReceivedAt)), ("state", state),
        ])
    }

    init(json: JSONValue) throws(ManifestError) {
        guard try json.require("version").asInt() == 1 else { throw ManifestError("unknown cursor version") }
        segment = try json.require("segment").asString()
        offset = try json.require("offset").asInt()
        lines = try json.require("lines").asInt()
        lastReceivedAt = try json.require("last_received_at_ns").asInt()
        state = json["state"] ?? .null
        guard offset >= 0, lines >= 0, SegmentName.startNanos(of: segment) != nil else {
            throw ManifestError("cursor names no valid segment position")
        }
    }
}
