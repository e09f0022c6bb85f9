#if canImport(Glibc)
import Glibc
#endif

/// Which sealed segments to delete: those whose end is older than `retain_age`, then the
/// oldest until the capture's files fit in `retain_size`.
///
/// Only sealed segments are ever deleted (data file, manifest and, for a recovered one, its
/// set-aside source), oldest first, each deletion logged by the caller. Open, closed-but-
/// unsealed and recovering segments count towards the size but are never touched: retention
/// must not destroy data that has no manifest to prove what it was.
public struct RetentionPolicy: Sendable, Equatable {
    /// Delete sealed segments that ended longer ago than this; nil keeps them forever.
    public var maximumAge: Duration?
    /// Delete the oldest sealed segments while the capture's files exceed this; nil = no limit.
    public var maximumBytes: Int64?

    public init(maximumAge: Duration? = nil, maximumBytes: Int64? = nil) {
        self.maximumAge = maximumAge
        self.maximumBytes = maximumBytes
    }

    public var isEnabled: Bool { maximumAge != nil || maximumBytes != nil }

    /// A sealed segment as retention sees it.
    public struct Segment: Sendable, Equatable {
        public var base: String
        public var endedAt: Int64
        /// Files of the segment and their total size.
        public var files: [String]
        public var bytes: Int64
    }

    /// The segments to delete, oldest first, given every sealed segment and the total size of
    /// all capture files in the directory (sealed or not).
    public func selectForDeletion(sealed: [Segment], totalBytes: Int64, now: Int64) -> [Segment] {
        var doomed: [Segment] = []
        var remaining = totalBytes
        for segment in sealed.sorted(by: { ($0.endedAt, $0.base) < ($1.endedAt, $1.base) }) {
            let tooOld = maximumAge.map { now - segment.endedAt > $0.nanoseconds } ?? false
            let tooBig = maximumBytes.map { remaining > $0 } ?? false
            guard tooOld || tooBig else { continue }
            doomed.append(segment)
            remaining -= segment.bytes
        }
        return doomed
    }

    /// The sealed segments of `directory` and the total size of its capture files.
    /// `endTimes` caches manifest end times by base name across calls.
    public static func inventory(directory: String, endTimes: inout [String: Int64]) throws(StorageError) -> (
        sealed: [Segment], totalBytes: Int64
    ) {
        let names = try DurableFile.list(directory)
        var byBase: [String: [String]] = [:]
        var total: Int64 = 0
        for name in names {
            guard let base = SegmentName.base(of: name) ?? temporaryBase(name) else { continue }
            byBase[base, default: []].append(name)
            total += DurableFile.status(directory + "/" + name)?.size ?? 0
        }
        var sealed: [Segment] = []
        for (base, files) in byBase {
            let manifestName = base + SegmentName.manifestSuffix
            // A manifest whose data file is gone is what an interrupted deletion leaves: finish it.
            guard files.contains(manifestName) else { continue }
            // A segment still being sealed or recovered is not deletable yet.
            if files.contains(where: { $0.hasSuffix(SegmentName.openSuffix) || $0.hasSuffix(SegmentName.temporarySuffix) })
                || files.contains(base + SegmentName.closedSuffix)
            {
                continue
            }
            let endedAt: Int64
            if let cached = endTimes[base] {
                endedAt = cached
            } else if let manifest = try? SegmentManifest.read(path: directory + "/" + manifestName) {
                endedAt = manifest.endedAt
                endTimes[base] = endedAt
            } else {
                continue  // an unreadable manifest: leave the segment for a human
            }
            let bytes = files.reduce(Int64(0)) { $0 + (DurableFile.status(directory + "/" + $1)?.size ?? 0) }
            sealed.append(Segment(base: base, endedAt: endedAt, files: files.sorted(), bytes: bytes))
        }
        return (sealed, total)
    }

    private static func temporaryBase(_ name: String) -> String? {
        guard name.hasSuffix(SegmentName.temporarySuffix) else { return nil }
        return SegmentName.base(of: String(name.dropLast(SegmentName.temporarySuffix.count)))
    }

    /// Deletes one segment's files, the manifest last: an interrupted deletion leaves a manifest
    /// without its data file, which the next pass deletes (never a data file without its
    /// manifest, which nothing would delete). Returns the errno of the first failure.
    public static func delete(_ segment: Segment, directory: String) -> Int32? {
        let manifest = segment.base + SegmentName.manifestSuffix
        for file in segment.files where file != manifest {
            if unlink(directory + "/" + file) != 0 && errno != ENOENT { return errno }
        }
        if unlink(directory + "/" + manifest) != 0 && errno != ENOENT { return errno }
        SegmentFile.syncDirectory(directory)
        return nil
    }
}
