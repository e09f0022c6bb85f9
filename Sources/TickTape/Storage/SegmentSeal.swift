import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Seals one plain segment: gzip data file plus manifest, both published atomically, then the
/// plain source is removed (a normal seal) or kept as `.tape.recovered` (crash recovery).
///
/// The order makes every crash point recoverable without losing or overwriting anything:
/// 1. compress the complete, well-formed lines of the source into `base.tape.gz.tmp`, hashing
///    the output (SHA-256) and the input (raw SHA-256) on the way; fsync; `link` to
///    `base.tape.gz`; fsync the directory;
/// 2. write `base.manifest.json` the same way; the manifest's presence is the seal;
/// 3. only then remove or set aside the source.
/// A crash before 2 leaves the source unsealed, so recovery seals it again; if step 1's file
/// already exists it is adopted when its content hashes the same, and never replaced.
package enum SegmentSeal {
    /// Seals `job`; returns the manifest written. Directory fsync failures go to `health`.
    package static func seal(_ job: SealJob, identity: SealIdentity, health: StorageHealth) throws -> SegmentManifest {
        let sealedTemporary = job.sealedPath + SegmentName.temporarySuffix
        let fd = try DurableFile.createTemporary(sealedTemporary)
        var fdOpen = true
        defer {
            if fdOpen { close(fd) }
            _ = unlink(sealedTemporary)
        }
        let encoder = try GzipEncoder(level: identity.compressionLevel)
        var fileHash = SHA256()
        var rawHash = SHA256()
        var compressedBytes: Int64 = 0
        var tally = SegmentTally()
        var splitter = LineSplitter()
        var discardedBytes: Int64 = 0
        var discardedLines = 0
        var staging: [UInt8] = []
        staging.reserveCapacity(1 << 20 + 4096)

        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            try DurableFile.writeAll(fd, bytes, path: sealedTemporary)
            fileHash.update(bytes)
            compressedBytes += Int64(bytes.count)
        }
        func drain() throws {
            guard !staging.isEmpty else { return }
            try staging.withUnsafeBytes { raw in
                rawHash.update(raw)
                try encoder.compress(raw, sink: emit)
            }
            staging.removeAll(keepingCapacity: true)
        }

        try DurableFile.forEachChunk(job.source) { chunk in
            try splitter.feed(chunk) { line in
                if tally.add(line: line) {
                    staging.append(contentsOf: line)
                    staging.append(0x0A)
                    if staging.count >= 1 << 20 { try drain() }
                } else {
                    discardedBytes += Int64(line.count + 1)
                    discardedLines += 1
                }
            }
        }
        if splitter.pending > 0 {
            // The last line has no newline: it was being written when the process died.
            discardedBytes += Int64(splitter.pending)
            discardedLines += 1
        }
        try drain()
        try encoder.finish(sink: emit)
        var sha = fileHash.finalizeHex()
        let rawSHA = rawHash.finalizeHex()
        fdOpen = false
        let published = publishResult(fd: fd, temporary: sealedTemporary, job: job, health: health)
        if let failure = published {
            guard failure.errno == EEXIST else { throw failure }
            // An earlier seal of this segment got this far; keep its file if it holds the same lines.
            let existing = try digests(ofSealed: job.sealedPath)
            guard existing.raw == rawSHA else {
                throw SealError(
                    message: "\(job.sealedPath) exists with different content; left as it is, \(job.source) stays unsealed")
            }
            sha = existing.file
            compressedBytes = existing.bytes
        }

        let now = WallClock.realtimeNanos()
        let source = DurableFile.status(job.source)
        let endedAt = job.endedAt ?? max(tally.lastReceivedAt ?? job.startedAt, source?.modifiedAt ?? job.startedAt)
        let gaps = job.gaps ?? ledgerEntries(directory: job.directory, from: job.startedAt, through: endedAt)
        var clock = job.clock
        if job.recovered { clock.append(ClockSyncState.sample()) }
        let manifest = SegmentManifest(
            ticktapeVersion: identity.ticktapeVersion, host: identity.host, capture: job.capture,
            configDigest: identity.configDigest, dataFile: job.base + SegmentName.sealedSuffix,
            compression: "gzip-\(identity.compressionLevel)", startedAt: job.startedAt, endedAt: endedAt, sealedAt: now,
            firstReceivedAt: tally.firstReceivedAt, lastReceivedAt: tally.lastReceivedAt, records: tally.records,
            rawBytes: tally.bytes, compressedBytes: compressedBytes, sha256: sha, rawSHA256: rawSHA,
            streams: tally.streams.map { s in
                SegmentManifest.StreamSummary(
                    name: s.name, rule: s.rule, count: s.count, firstID: s.firstID, lastID: s.lastID,
                    lateLines: s.lateLines, lateCopies: job.merge.map { $0[s.name]?.counts.lateCopies ?? 0 },
                    merge: job.merge.map { $0[s.name] ?? StreamMergeReport() },
                    firstReceivedAt: s.firstReceivedAt, lastReceivedAt: s.lastReceivedAt)
            },
            gaps: gaps, clock: clock, recovered: job.recovered, discardedBytes: discardedBytes,
            discardedLines: discardedLines,
            recoveredFrom: job.recovered ? job.base + SegmentName.recoveredSuffix : nil)
        try DurableFile.writeNew(manifest.json.pretty, to: job.manifestPath, directory: job.directory, health: health)

        if job.recovered {
            try setAside(job.source, as: job.recoveredPath, directory: job.directory, health: health)
        } else {
            if unlink(job.source) != 0 { throw StorageError(operation: "unlink", path: job.source, errno: errno) }
            health.syncDirectory(job.directory)
        }
        return manifest
    }

    /// ``DurableFile/publish(fd:temporary:as:directory:)`` with its error as a value.
    private static func publishResult(fd: Int32, temporary: String, job: SealJob, health: StorageHealth) -> StorageError? {
        do throws(StorageError) {
            try DurableFile.publish(
                fd: fd, temporary: temporary, as: job.sealedPath, directory: job.directory, health: health)
            return nil
        } catch {
            return error
        }
    }

    /// Moves a recovered source out of the way without replacing anything (`.recovered`,
    /// then `.recovered.1`, … if that name is taken).
    static func setAside(
        _ source: String, as target: String, directory: String, health: StorageHealth
    ) throws(StorageError) {
        var candidate = target
        var n = 0
        while access(candidate, F_OK) == 0 {
            n += 1
            candidate = target + ".\(n)"
        }
        try DurableFile.move(source, to: candidate, directory: directory, health: health)
    }

    /// SHA-256 of a gzip file and of its decompressed content, and its size.
    package static func digests(ofSealed path: String) throws -> (file: String, raw: String, bytes: Int64) {
        var fileHash = SHA256()
        var rawHash = SHA256()
        var bytes: Int64 = 0
        let decoder = try GzipDecoder()
        try DurableFile.forEachChunk(path) { chunk in
            fileHash.update(chunk)
            bytes += Int64(chunk.count)
            try decoder.decompress(chunk) { rawHash.update($0) }
        }
        try decoder.finish()
        return (fileHash.finalizeHex(), rawHash.finalizeHex(), bytes)
    }

    /// Entries of `directory/gaps.jsonl` detected in `[from, through]` (for recovered segments,
    /// whose writer can no longer say which entries were its own).
    static func ledgerEntries(directory: String, from: Int64, through: Int64) -> [GapRecord] {
        guard let text = try? DurableFile.readText(directory + "/gaps.jsonl") else { return [] }
        var out: [GapRecord] = []
        for line in text.split(separator: "\n") {
            guard let json = try? JSONValue.parse(String(line)), let gap = try? GapRecord(json: json) else { continue }
            if gap.detectedAt >= from && gap.detectedAt <= through { out.append(gap) }
        }
        return out
    }
}

/// A segment that cannot be sealed as asked; it is left exactly as it was.
package struct SealError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var description: String { message }
}
