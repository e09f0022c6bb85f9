/// The seal of a segment: a versioned JSON document beside the compressed data file that says
/// what the file holds and how to prove it.
///
/// It records who wrote the data (ticktape version, host, capture, configuration digest),
/// when (wall-clock span, receive-stamp span, and the host clock's sync state), what
/// (records, raw and compressed bytes, per-stream id ranges, counts and late copies, and the
/// gap-ledger entries of the span), and the SHA-256 of the data file and of its decompressed
/// content. `ticktape verify` checks a segment against it; a segment without one is not sealed.
package struct SegmentManifest: Sendable, Equatable {
    package static let format = "ticktape-segment-manifest"
    /// Bumped on any change a reader must know about; readers reject newer versions.
    package static let currentVersion = 1

    /// One stream's part of the segment.
    package struct StreamSummary: Sendable, Equatable {
        package var name: String
        package var rule: String
        package var count: Int
        package var firstID: Int64?
        package var lastID: Int64?
        /// Lines in the file that are not above every earlier id (only with `late_policy = "emit"`).
        package var lateLines: Int
        /// Copies the merger received late during the segment (dropped or emitted); nil when not
        /// known (a segment sealed by crash recovery).
        package var lateCopies: Int?
        /// Holes waited on and late copies placed or dropped (nil: not known, crash recovery).
        package var merge: StreamMergeReport?
        package var firstReceivedAt: Int64
        package var lastReceivedAt: Int64

        package init(
            name: String, rule: String, count: Int, firstID: Int64?, lastID: Int64?, lateLines: Int, lateCopies: Int?,
            merge: StreamMergeReport? = nil, firstReceivedAt: Int64, lastReceivedAt: Int64
        ) {
            self.name = name
            self.rule = rule
            self.count = count
            self.firstID = firstID
            self.lastID = lastID
            self.lateLines = lateLines
            self.lateCopies = lateCopies
            self.merge = merge
            self.firstReceivedAt = firstReceivedAt
            self.lastReceivedAt = lastReceivedAt
        }
    }

    package var version = Self.currentVersion
    package var ticktapeVersion: String
    package var host: String
    package var capture: String
    /// SHA-256 of the engine's configuration as it was when the segment was written.
    package var configDigest: String
    /// The data file's name (in the manifest's directory).
    package var dataFile: String
    /// The compression of the data file (`gzip`) and its zlib level.
    package var compression: String
    /// Wall-clock span of the segment: opened and closed (`CLOCK_REALTIME` ns).
    package var startedAt: Int64
    package var endedAt: Int64
    package var sealedAt: Int64
    /// Receive stamps of the first and last line (nil when empty).
    package var firstReceivedAt: Int64?
    package var lastReceivedAt: Int64?
    package var records: Int
    /// Bytes of the capture lines (decompressed) and of the data file.
    package var rawBytes: Int64
    package var compressedBytes: Int64
    /// SHA-256 (hex) of the data file, and of the decompressed lines.
    package var sha256: String
    package var rawSHA256: String
    package var streams: [StreamSummary]
    package var gaps: [GapRecord]
    /// Clock sync state sampled when the segment was opened and closed (or recovered).
    package var clock: [ClockSyncState]
    /// Sealed by crash recovery: `discardedBytes` (an incomplete last line, or lines that are
    /// not capture lines) were left out; the untouched source is `recoveredFrom`.
    package var recovered: Bool
    package var discardedBytes: Int64
    package var discardedLines: Int
    package var recoveredFrom: String?

    package var json: JSONValue {
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        return .object([
            ("format", .string(Self.format)),
            ("version", .int(Int64(version))),
            ("ticktape_version", .string(ticktapeVersion)),
            ("host", .string(host)),
            ("capture", .string(capture)),
            ("config_digest", .string(configDigest)),
            ("data_file", .string(dataFile)),
            ("compression", .string(compression)),
            ("started_at_ns", .int(startedAt)),
            ("ended_at_ns", .int(endedAt)),
            ("sealed_at_ns", .int(sealedAt)),
            ("first_received_ns", opt(firstReceivedAt)),
            ("last_received_ns", opt(lastReceivedAt)),
            ("records", .int(Int64(records))),
            ("raw_bytes", .int(rawBytes)),
            ("compressed_bytes", .int(compressedBytes)),
            ("sha256", .string(sha256)),
            ("raw_sha256", .string(rawSHA256)),
            (
                "streams",
                .array(
                    streams.map { s in
                        .object([
                            ("stream", .string(s.name)), ("rule", .string(s.rule)), ("count", .int(Int64(s.count))),
                            ("first_id", opt(s.firstID)), ("last_id", opt(s.lastID)),
                            ("late_lines", .int(Int64(s.lateLines))), ("late_copies", opt(s.lateCopies.map(Int64.init))),
                            ("merge", s.merge?.json ?? .null),
                            ("first_received_ns", .int(s.firstReceivedAt)), ("last_received_ns", .int(s.lastReceivedAt)),
                        ])
                    })
            ),
            ("gaps", .array(gaps.map(\.json))),
            ("clock", .array(clock.map(\.json))),
            ("recovered", .bool(recovered)),
            ("discarded_bytes", .int(discardedBytes)),
            ("discarded_lines", .int(Int64(discardedLines))),
            ("recovered_from", recoveredFrom.map(JSONValue.string) ?? .null),
        ])
    }

    package init(
        ticktapeVersion: String, host: String, capture: String, configDigest: String, dataFile: String,
        compression: String, startedAt: Int64, endedAt: Int64, sealedAt: Int64, firstReceivedAt: Int64?,
        lastReceivedAt: Int64?, records: Int, rawBytes: Int64, compressedBytes: Int64, sha256: String,
        rawSHA256: String, streams: [StreamSummary], gaps: [GapRecord], clock: [ClockSyncState], recovered: Bool,
        discardedBytes: Int64, discardedLines: Int, recoveredFrom: String?
    ) {
        self.ticktapeVersion = ticktapeVersion
        self.host = host
        self.capture = capture
        self.configDigest = configDigest
        self.dataFile = dataFile
        self.compression = compression
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.sealedAt = sealedAt
        self.firstReceivedAt = firstReceivedAt
        self.lastReceivedAt = lastReceivedAt
        self.records = records
        self.rawBytes = rawBytes
        self.compressedBytes = compressedBytes
        self.sha256 = sha256
        self.rawSHA256 = rawSHA256
        self.streams = streams
        self.gaps = gaps
        self.clock = clock
        self.recovered = recovered
        self.discardedBytes = discardedBytes
        self.discardedLines = discardedLines
        self.recoveredFrom = recoveredFrom
    }

    /// Reads a manifest; rejects other documents and newer versions.
    package init(parsing text: String) throws(ManifestError) {
        let j = try JSONValue.parse(text)
        guard j["format"]?.stringValue == Self.format else { throw ManifestError("not a ticktape segment manifest") }
        let v = Int(try j.require("version").asInt())
        guard v >= 1 && v <= Self.currentVersion else {
            throw ManifestError("manifest version \(v) is newer than this ticktape understands (\(Self.currentVersion))")
        }
        version = v
        ticktapeVersion = try j.require("ticktape_version").asString()
        host = try j.require("host").asString()
        capture = try j.require("capture").asString()
        configDigest = try j.require("config_digest").asString()
        dataFile = try j.require("data_file").asString()
        compression = try j.require("compression").asString()
        startedAt = try j.require("started_at_ns").asInt()
        endedAt = try j.require("ended_at_ns").asInt()
        sealedAt = try j.require("sealed_at_ns").asInt()
        firstReceivedAt = j["first_received_ns"]?.intValue
        lastReceivedAt = j["last_received_ns"]?.intValue
        records = Int(try j.require("records").asInt())
        rawBytes = try j.require("raw_bytes").asInt()
        compressedBytes = try j.require("compressed_bytes").asInt()
        sha256 = try j.require("sha256").asString()
        rawSHA256 = try j.require("raw_sha256").asString()
        var streams: [StreamSummary] = []
        for s in try j.require("streams").arrayValue ?? [] {
            streams.append(
                StreamSummary(
                    name: try s.require("stream").asString(), rule: try s.require("rule").asString(),
                    count: Int(try s.require("count").asInt()), firstID: s["first_id"]?.intValue,
                    lastID: s["last_id"]?.intValue, lateLines: Int(try s.require("late_lines").asInt()),
                    lateCopies: s["late_copies"]?.intValue.map { Int($0) },
                    merge: s["merge"].flatMap { $0 == .null ? nil : StreamMergeReport(json: $0) },
                    firstReceivedAt: try s.require("first_received_ns").asInt(),
                    lastReceivedAt: try s.require("last_received_ns").asInt()))
        }
        self.streams = streams
        var gaps: [GapRecord] = []
        for g in try j.require("gaps").arrayValue ?? [] { gaps.append(try GapRecord(json: g)) }
        self.gaps = gaps
        var clock: [ClockSyncState] = []
        for c in j["clock"]?.arrayValue ?? [] { clock.append(try ClockSyncState(json: c)) }
        self.clock = clock
        recovered = j["recovered"]?.boolValue ?? false
        discardedBytes = j["discarded_bytes"]?.intValue ?? 0
        discardedLines = Int(j["discarded_lines"]?.intValue ?? 0)
        recoveredFrom = j["recovered_from"]?.stringValue
    }

    /// Reads the manifest file at `path`.
    package static func read(path: String) throws -> SegmentManifest {
        try SegmentManifest(parsing: try DurableFile.readText(path))
    }
}
