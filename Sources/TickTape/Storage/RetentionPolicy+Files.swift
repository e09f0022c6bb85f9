#if canImport(Glibc)
import Glibc
#endif

/// Retention on disk: what a capture directory holds, and deleting a sealed segment. Kept apart
/// from the policy itself so the configuration (and its fuzzer) needs no file-system code.
extension RetentionPolicy {
    /// The sealed segments of `directory` and the total size of its capture files.
    /// `endTimes` caches manifest end times by base name across calls.
    package static func inventory(directory: String, endTimes: inout [String: Int64]) throws(StorageError) -> (
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

    /// Below this share of free space the file system is critically full: retention then deletes
    /// segments a sink still holds rather than let the capture itself run out of disk.
    package static let criticalFreeFraction = 0.02

    /// Whether the file system holding `directory` has less than ``criticalFreeFraction`` free
    /// (for unprivileged users); false when it cannot be told.
    package static func isDiskCritical(_ directory: String) -> Bool {
        var st = statvfs()
        guard statvfs(directory, &st) == 0, st.f_blocks > 0 else { return false }
        return Double(st.f_bavail) / Double(st.f_blocks) < criticalFreeFraction
    }

    private static func temporaryBase(_ name: String) -> String? {
        guard name.hasSuffix(SegmentName.temporarySuffix) else { return nil }
        return SegmentName.base(of: String(name.dropLast(SegmentName.temporarySuffix.count)))
    }

    /// Deletes one segment's files, the manifest last: an interrupted deletion leaves a manifest
    /// without its data file, which the next pass deletes (never a data file without its
    /// manifest, which nothing would delete). Returns the errno of the first failure.
    package static func delete(_ segment: Segment, directory: String, health: StorageHealth) -> Int32? {
        let manifest = segment.base + SegmentName.manifestSuffix
        for file in segment.files where file != manifest {
            if unlink(directory + "/" + file) != 0 && errno != ENOENT { return errno }
        }
        if unlink(directory + "/" + manifest) != 0 && errno != ENOENT { return errno }
        health.syncDirectory(directory)
        return nil
    }
}
