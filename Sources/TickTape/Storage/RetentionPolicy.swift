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
package struct RetentionPolicy: Sendable, Equatable {
    /// Delete sealed segments that ended longer ago than this; nil keeps them forever.
    package var maximumAge: Duration?
    /// Delete the oldest sealed segments while the capture's files exceed this; nil = no limit.
    package var maximumBytes: Int64?

    package init(maximumAge: Duration? = nil, maximumBytes: Int64? = nil) {
        self.maximumAge = maximumAge
        self.maximumBytes = maximumBytes
    }

    package var isEnabled: Bool { maximumAge != nil || maximumBytes != nil }

    /// A sealed segment as retention sees it.
    package struct Segment: Sendable, Equatable {
        package var base: String
        package var endedAt: Int64
        /// Files of the segment and their total size.
        package var files: [String]
        package var bytes: Int64
    }

    /// The segments to delete, oldest first, given every sealed segment and the total size of
    /// all capture files in the directory (sealed or not).
    package func selectForDeletion(sealed: [Segment], totalBytes: Int64, now: Int64) -> [Segment] {
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

    /// What to do with `doomed` (from ``selectForDeletion(sealed:totalBytes:now:)``) when a
    /// consumer (a sink) still needs every segment from `heldFrom` on: held segments are kept,
    /// unless `diskCritical`, when they are deleted and listed in `overridden` so their holders
    /// can be told. Base names sort in time order, which is what makes one bound enough.
    package static func applyHold(
        _ doomed: [Segment], heldFrom: String?, diskCritical: Bool
    ) -> (delete: [Segment], kept: [Segment], overridden: [Segment]) {
        guard let heldFrom else { return (doomed, [], []) }
        var delete: [Segment] = []
        var kept: [Segment] = []
        var overridden: [Segment] = []
        for segment in doomed {
            if segment.base < heldFrom {
                delete.append(segment)
            } else if diskCritical {
                delete.append(segment)
                overridden.append(segment)
            } else {
                kept.append(segment)
            }
        }
        return (delete, kept, overridden)
    }
}
