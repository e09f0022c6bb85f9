/// What a replay serves: the captures under a data folder (or the one capture a folder is),
/// each with its segments in time order and its gap ledger, read from the files as they are now.
///
/// Why re-read per request rather than once at start: the folder may be a running daemon's
/// `data_dir`, where the open segment rotates and is sealed while the replay runs. A catalog is
/// a snapshot; each connection (and each seek or history request) takes a fresh one. Manifests
/// are small and directory listings cheap next to reading a segment.
struct ReplayCatalog: Sendable {
    struct Capture: Sendable {
        var name: String
        var directory: String
        var segments: [ReplaySegment]
        var gaps: [GapRecord]
    }

    var captures: [Capture]

    /// Scans `dataDirectory`: a folder holding segment files is one capture; otherwise each
    /// subfolder that holds segment files is one.
    static func scan(_ dataDirectory: String) -> ReplayCatalog {
        let path = dataDirectory.count > 1 && dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        if let own = captureIn(path) { return ReplayCatalog(captures: [own]) }
        var captures: [Capture] = []
        for name in ((try? DurableFile.list(path)) ?? []).sorted() {
            let sub = path + "/" + name
            guard DurableFile.status(sub)?.isDirectory == true, let capture = captureIn(sub) else { continue }
            captures.append(capture)
        }
        return ReplayCatalog(captures: captures)
    }

    /// The capture stored in `directory`, nil if it holds no segment.
    private static func captureIn(_ directory: String) -> Capture? {
        guard let names = try? DurableFile.list(directory) else { return nil }
        let present = Set(names)
        var byBase: [String: ReplaySegment] = [:]
        for name in names {
            guard let base = SegmentName.base(of: name), !name.hasSuffix(SegmentName.temporarySuffix) else { continue }
            let file = directory + "/" + name
            if name.hasSuffix(SegmentName.sealedSuffix) {
                let manifestPath = directory + "/" + base + SegmentName.manifestSuffix
                // The manifest's presence is the seal; a data file without one is not ready yet.
                guard present.contains(base + SegmentName.manifestSuffix),
                    let manifest = try? SegmentManifest.read(path: manifestPath)
                else { continue }
                byBase[base] = ReplaySegment(
                    base: base, path: file, manifest: manifest, openedAt: SegmentName.startNanos(of: base))
            } else if name.hasSuffix(SegmentName.openSuffix) || name.hasSuffix(SegmentName.closedSuffix) {
                // A plain file whose segment is sealed too is a seal caught in progress: the sealed one wins.
                if present.contains(base + SegmentName.manifestSuffix), present.contains(base + SegmentName.sealedSuffix) {
                    continue
                }
                if byBase[base]?.manifest != nil { continue }
                byBase[base] = ReplaySegment(base: base, path: file, manifest: nil, openedAt: SegmentName.startNanos(of: base))
            }
        }
        guard !byBase.isEmpty else { return nil }
        let segments = byBase.values.sorted { $0.base < $1.base }
        let capture = segments[0].manifest?.capture ?? String(directory.split(separator: "/").last ?? "")
        return Capture(name: capture, directory: directory, segments: segments, gaps: readLedger(directory + "/gaps.jsonl"))
    }

    /// The gap ledger's entries (a torn last line, being appended, is skipped).
    private static func readLedger(_ path: String) -> [GapRecord] {
        guard DurableFile.status(path) != nil, let text = try? DurableFile.readText(path) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? JSONValue.parse(String(line)) else { return nil }
            return try? GapRecord(json: json)
        }
    }

    /// Every stream named in a manifest, with its first and last receive stamps and count over
    /// the sealed segments, and how many segments are not sealed yet (their lines are not counted).
    struct StreamRange: Sendable, Equatable {
        var stream: String
        var captures: [String]
        var firstReceivedAt: Int64
        var lastReceivedAt: Int64
        var count: Int
        var segments: Int
        var unsealedSegments: Int
    }

    func range(of stream: String) -> StreamRange? {
        var result: StreamRange?
        for capture in captures {
            var carried = false
            for segment in capture.segments {
                guard let summary = segment.manifest?.streams.first(where: { $0.name == stream }) else { continue }
                carried = true
                if var r = result {
                    r.firstReceivedAt = min(r.firstReceivedAt, summary.firstReceivedAt)
                    r.lastReceivedAt = max(r.lastReceivedAt, summary.lastReceivedAt)
                    r.count += summary.count
                    r.segments += 1
                    if !r.captures.contains(capture.name) { r.captures.append(capture.name) }
                    result = r
                } else {
                    result = StreamRange(
                        stream: stream, captures: [capture.name], firstReceivedAt: summary.firstReceivedAt,
                        lastReceivedAt: summary.lastReceivedAt, count: summary.count, segments: 1, unsealedSegments: 0)
                }
            }
            if carried { result?.unsealedSegments += capture.segments.filter { $0.manifest == nil }.count }
        }
        return result
    }

    /// Every stream any sealed manifest names, sorted.
    var knownStreams: [String] {
        var names = Set<String>()
        for capture in captures {
            for segment in capture.segments { for s in segment.manifest?.streams ?? [] { names.insert(s.name) } }
        }
        return names.sorted()
    }
}
