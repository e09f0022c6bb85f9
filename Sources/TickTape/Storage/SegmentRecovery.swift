#if canImport(Glibc)
import Glibc
#endif

/// Finds what a crash left unsealed in a capture directory and turns it into seal jobs.
///
/// At start, before the writer opens a new segment: every `*.tape.open` (the segment being
/// written when the process died) and every `*.tape` without a manifest (closed, not yet
/// sealed) becomes a `recovered` job; the sealer cuts it at the last complete line, seals it
/// and keeps the source as `*.tape.recovered`. A plain file whose manifest already exists
/// (the crash came between sealing and removing the source) is set aside the same way.
/// Nothing is overwritten or deleted, with one exception: `*.tmp` files, which by
/// construction are incomplete copies of data that still exists elsewhere.
package enum SegmentRecovery {
    /// The recovery jobs for `directory`, oldest first, after setting aside sources of segments
    /// that are already sealed. `log` receives one line per action. Throws when the directory
    /// cannot be listed: recovery did not happen, and the caller must say so.
    package static func jobs(
        directory: String, capture: String, health: StorageHealth, log: (String) -> Void
    ) throws(StorageError) -> [SealJob] {
        let names = try DurableFile.list(directory)
        let present = Set(names)
        var jobs: [SealJob] = []
        for name in names {
            if name.hasSuffix(SegmentName.temporarySuffix) {
                if unlink(directory + "/" + name) == 0 { log("removed incomplete temporary \(name)") }
                continue
            }
            guard name.hasSuffix(SegmentName.openSuffix) || name.hasSuffix(SegmentName.closedSuffix),
                let base = SegmentName.base(of: name)
            else { continue }
            let path = directory + "/" + name
            if present.contains(base + SegmentName.manifestSuffix) {
                let target = directory + "/" + base + SegmentName.recoveredSuffix
                do throws(StorageError) {
                    try SegmentSeal.setAside(path, as: target, directory: directory, health: health)
                    log("\(name) is already sealed; kept its source as \(base)\(SegmentName.recoveredSuffix)")
                } catch {
                    log("could not set aside \(name): \(error)")
                }
                continue
            }
            let startedAt = SegmentName.startNanos(of: base) ?? DurableFile.status(path)?.modifiedAt ?? 0
            jobs.append(
                SealJob(
                    source: path, directory: directory, base: base, capture: capture, recovered: true,
                    startedAt: startedAt))
            log("\(name) was left unsealed; recovering it")
        }
        return jobs
    }
}
