import Crypto
import TickTape

/// Checks a sealed segment against its manifest: the data file's size and SHA-256, that it is
/// a complete gzip stream (CRC and length), the decompressed bytes and their SHA-256, that
/// every line is `<ns> <frame>`, the record count, and per stream the count, first and last
/// id and that ids only increase (apart from the late lines the manifest declares).
///
/// Everything is recomputed from the data file with the sealer's own ``SegmentTally``, so a
/// flipped byte, a missing line and an edited count all show up, each named.
package enum SegmentVerifier {
    /// The outcome for one segment.
    package struct Result: Sendable {
        package var manifestPath: String
        package var manifest: SegmentManifest?
        /// Every mismatch found; empty means the segment verifies.
        package var problems: [String] = []
        package var ok: Bool { problems.isEmpty }
    }

    /// Verifies the segment of the manifest at `manifestPath`. `progress` gets (bytes read,
    /// data file size) as the file is read.
    package static func verify(manifestPath: String, progress: ((Int64, Int64) -> Void)? = nil) -> Result {
        var result = Result(manifestPath: manifestPath)
        let manifest: SegmentManifest
        do {
            manifest = try SegmentManifest.read(path: manifestPath)
        } catch {
            result.problems.append("manifest unreadable: \(error)")
            return result
        }
        result.manifest = manifest
        let directory = manifestPath.lastIndex(of: "/").map { String(manifestPath[..<$0]) } ?? "."
        let dataPath = directory + "/" + manifest.dataFile
        guard let status = DurableFile.status(dataPath) else {
            result.problems.append("data file \(manifest.dataFile) is missing")
            return result
        }
        if status.size != manifest.compressedBytes {
            result.problems.append("data file is \(status.size) bytes, manifest says \(manifest.compressedBytes)")
        }
        var fileHash = SHA256()
        var rawHash = SHA256()
        var rawBytes: Int64 = 0
        var readBytes: Int64 = 0
        var tally = SegmentTally()
        var splitter = LineSplitter()
        do {
            let decoder = try GzipDecoder()
            try DurableFile.forEachChunk(dataPath) { chunk in
                fileHash.update(chunk)
                readBytes += Int64(chunk.count)
                progress?(readBytes, status.size)
                try decoder.decompress(chunk) { raw in
                    rawHash.update(raw)
                    rawBytes += Int64(raw.count)
                    splitter.feed(raw) { tally.add(line: $0) }
                }
            }
            try decoder.finish()
        } catch {
            result.problems.append("data file does not decode: \(error)")
        }
        let sha = fileHash.finalizeHex()
        if sha != manifest.sha256 { result.problems.append("SHA-256 of the data file is \(sha), manifest says \(manifest.sha256)") }
        let rawSHA = rawHash.finalizeHex()
        if rawSHA != manifest.rawSHA256 {
            result.problems.append("SHA-256 of the decompressed lines is \(rawSHA), manifest says \(manifest.rawSHA256)")
        }
        if rawBytes != manifest.rawBytes { result.problems.append("\(rawBytes) decompressed bytes, manifest says \(manifest.rawBytes)") }
        if splitter.pending > 0 { result.problems.append("the last line is incomplete (\(splitter.pending) bytes without a newline)") }
        if tally.malformedCount > 0 {
            result.problems.append(
                "\(tally.malformedCount) line(s) are not `<ns> <frame>` (lines \(tally.malformedLines.map(String.init).joined(separator: ", ")))")
        }
        if tally.records != manifest.records { result.problems.append("\(tally.records) records, manifest says \(manifest.records)") }
        let found = Dictionary(tally.streams.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for expected in manifest.streams {
            guard let s = found[expected.name] else {
                result.problems.append("stream \(expected.name): in the manifest, not in the data")
                continue
            }
            if s.count != expected.count { result.problems.append("stream \(s.name): \(s.count) lines, manifest says \(expected.count)") }
            if s.firstID != expected.firstID || s.lastID != expected.lastID {
                result.problems.append(
                    "stream \(s.name): ids \(text(s.firstID))...\(text(s.lastID)), manifest says \(text(expected.firstID))...\(text(expected.lastID))")
            }
            if s.lateLines != expected.lateLines {
                result.problems.append(
                    "stream \(s.name): ids do not only increase (\(s.lateLines) line(s) out of order, manifest declares \(expected.lateLines))")
            }
        }
        for s in tally.streams where !manifest.streams.contains(where: { $0.name == s.name }) {
            result.problems.append("stream \(s.name): \(s.count) lines in the data, not in the manifest")
        }
        return result
    }

    private static func text(_ id: Int64?) -> String { id.map(String.init) ?? "-" }
}
