#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only capture segment being written.
///
/// While open it is named `<capture>-<UTC start>-<nnn>.tape.open`; closing renames it to
/// `.tape`, so "still being written" (or "left by a crash") is visible from the name alone.
/// The sealer then turns `.tape` into `.tape.gz` + `.manifest.json` (see ``SegmentName``).
/// Besides bytes and lines it collects what only the writer knows and the manifest needs:
/// the clock state at open, the ledger entries written while it was current, and the late
/// copies the merger counted for the lines it holds.
struct SegmentFile {
    let directory: String
    let openPath: String
    let finalPath: String
    let fd: Int32
    let createdAt: Int64
    private(set) var bytes: Int64 = 0
    private(set) var lines = 0
    private(set) var firstReceivedAt: Int64 = 0
    private(set) var lastReceivedAt: Int64 = 0
    /// Clock sync state sampled at open (and, by the writer, at close).
    var clock: [ClockSyncState] = []
    /// Gap-ledger entries written while this segment was current.
    var gaps: [GapRecord] = []
    /// What the merger counted per stream (holes, late copies) for the buffers written here.
    var merge: [String: StreamMergeTally] = [:]

    /// The segment's base name (see ``SegmentName``).
    var base: String { String(finalPath.dropFirst(directory.count + 1).dropLast(SegmentName.closedSuffix.count)) }

    static func create(directory: String, capture: String, now: Int64) throws(StorageError) -> SegmentFile {
        var attempt = 0
        while true {
            let stamp = Self.utcStamp(nanos: now)
            // A counter keeps names unique and sorted when two segments start in the same millisecond.
            let counter = String(attempt)
            let suffix = String(repeating: "0", count: max(0, 3 - counter.count)) + counter
            let base = "\(directory)/\(capture)-\(stamp)-\(suffix).tape"
            // Never reuse a name: a closed segment with the same stamp must not be overwritten.
            let fd = access(base, F_OK) == 0 ? -1 : open(base + ".open", O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                var file = SegmentFile(directory: directory, openPath: base + ".open", finalPath: base, fd: fd, createdAt: now)
                file.clock = [ClockSyncState.sample()]
                return file
            }
            let err = fd == -1 && access(base, F_OK) == 0 ? EEXIST : errno
            if err == EEXIST && attempt < 1000 {
                attempt += 1
                continue
            }
            throw StorageError(operation: "create", path: base + ".open", errno: err)
        }
    }

    /// Writes all of `data`, retrying short writes and EINTR. On error, `written` says how much
    /// of `data` made it, so the caller can retry the rest without duplicating bytes.
    mutating func write(_ data: UnsafeRawBufferPointer, from offset: Int = 0) -> (written: Int, error: Int32?) {
        let result = POSIXIO.writeAll(fd, data, from: offset)
        bytes += Int64(result.written - offset)
        return result
    }

    mutating func account(lines count: Int, first: Int64, last: Int64) {
        guard count > 0 else { return }
        // Late copies placed in id order carry their own (later) stamps: keep the true bounds.
        if lines == 0 {
            firstReceivedAt = first
            lastReceivedAt = last
        } else {
            firstReceivedAt = min(firstReceivedAt, first)
            lastReceivedAt = max(lastReceivedAt, last)
        }
        lines += count
    }

    func sync() -> Int32? {
        fsync(fd) == 0 ? nil : errno
    }

    /// fsyncs, closes and renames to the final name; then fsyncs the directory so the rename
    /// survives power loss (a failure of that is reported through `health`, not thrown: the
    /// segment is complete under its final name and sealing goes on).
    func close(sync doSync: Bool, health: StorageHealth) throws(StorageError) {
        if doSync, let err = sync() {
            _ = Glibc.close(fd)
            throw StorageError(operation: "fsync", path: openPath, errno: err)
        }
        _ = Glibc.close(fd)
        // link + unlink instead of rename: link fails rather than replace an existing file.
        if link(openPath, finalPath) != 0 {
            throw StorageError(operation: "link", path: finalPath, errno: errno)
        }
        if unlink(openPath) != 0 {
            throw StorageError(operation: "unlink", path: openPath, errno: errno)
        }
        if doSync { health.syncDirectory(directory) }
    }

    /// `20261121T053012.123Z`: sortable, unambiguous, no characters that need quoting.
    static func utcStamp(nanos: Int64) -> String {
        var seconds = time_t(nanos / 1_000_000_000)
        let millis = Int((nanos / 1_000_000) % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "." + pad(Int32(millis), 3) + "Z"
    }
}

/// A storage operation that failed, with the OS error.
package struct StorageError: Error, CustomStringConvertible, Sendable {
    package var operation: String
    package var path: String
    package var errno: Int32

    package var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Creates `path` and its parents (`mkdir -p`).
func makeDirectories(_ path: String) throws(StorageError) {
    var current = ""
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        current += "/" + component
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw StorageError(operation: "mkdir", path: current, errno: errno)
        }
    }
}
