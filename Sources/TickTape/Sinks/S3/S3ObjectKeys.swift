/// Where a segment goes in the bucket:
/// `<prefix>/<capture>/<YYYY>/<MM>/<DD>/<segment>.<host>.tape.gz` and `….manifest.json`.
///
/// The date is the segment's UTC start (from its name), so a day's objects list under one
/// prefix and keys sort in time order like the local names; the host id in the name keeps hosts
/// that archive the same capture from ever writing the same key.
package struct S3ObjectKeys: Sendable, Equatable {
    package var data: String
    package var manifest: String

    package init(prefix: String, capture: String, segment: String, host: String) {
        let start = SegmentName.startNanos(of: segment) ?? 0
        let date = UTCInstant.date(days: UTCInstant.floorDivide(start, 86_400_000_000_000))  // YYYY-MM-DD
        let folder = (prefix.isEmpty ? "" : prefix + "/") + capture + "/" + date.split(separator: "-").joined(separator: "/")
        data = folder + "/" + segment + "." + host + SegmentName.sealedSuffix
        manifest = folder + "/" + segment + "." + host + SegmentName.manifestSuffix
    }

    /// The local file name a key stands for (`<segment>.tape.gz`, `<segment>.manifest.json`),
    /// with the host id removed; nil for a key ticktape did not write.
    package static func localName(ofKey key: String) -> (segment: String, host: String, isManifest: Bool)? {
        let file = key.split(separator: "/").last.map(String.init) ?? key
        for (suffix, isManifest) in [(SegmentName.sealedSuffix, false), (SegmentName.manifestSuffix, true)] where file.hasSuffix(suffix) {
            let stem = file.dropLast(suffix.count)
            guard let dot = stem.lastIndex(of: ".") else { return nil }
            let segment = String(stem[..<dot])
            guard SegmentName.startNanos(of: segment) != nil else { return nil }
            return (segment, String(stem[stem.index(after: dot)...]), isManifest)
        }
        return nil
    }
}
