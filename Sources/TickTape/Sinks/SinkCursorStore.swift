#if canImport(Glibc)
import Glibc
#endif

/// A sink's cursors on disk: `<data_dir>/.sinks/<sink>/<capture>.cursor.json`, one per capture.
///
/// A cursor is written only after the target confirmed everything before it, and atomically:
/// a temporary file, fsync, `rename` over the old cursor, fsync of the directory. A crash at
/// any point leaves the old cursor or the new one, never a torn one; resuming from the old one
/// replays a tail the target already has, which its idempotent writes absorb.
package struct SinkCursorStore: Sendable {
    package let directory: String

    /// `<data_dir>/.sinks/<sink>`: a name no capture can have (capture names start with a
    /// letter or digit), so recovery and retention never look inside it.
    package init(dataDirectory: String, sink: String) {
        directory = dataDirectory + "/.sinks/" + sink
    }

    package func path(capture: String) -> String { directory + "/" + capture + ".cursor.json" }

    /// The saved cursor, nil if there is none yet. A cursor that cannot be read is an error,
    /// never silently a fresh start (that would reload everything, or skip everything).
    package func load(capture: String) throws(SinkError) -> SinkCursor? {
        let file = path(capture: capture)
        guard access(file, F_OK) == 0 else { return nil }
        do {
            let text = try DurableFile.readText(file)
            return try SinkCursor(json: JSONValue.parse(text))
        } catch {
            throw SinkError.cursor("cannot read the cursor \(file): \(error); fix or remove it (removing it reloads from start_at)")
        }
    }

    /// Replaces the cursor durably.
    package func save(_ cursor: SinkCursor, capture: String) throws(SinkError) {
        try ensureDirectory()
        let file = path(capture: capture)
        let temporary = file + SegmentName.temporarySuffix
        let bytes = Array((cursor.json.compact + "\n").utf8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SinkError.cursor("create \(temporary): \(Self.reason(errno))") }
        let written = bytes.withUnsafeBytes { POSIXIO.writeAll(fd, $0) }
        if let err = written.error {
            close(fd)
            throw SinkError.cursor("write \(temporary): \(Self.reason(err))")
        }
        if fsync(fd) != 0 {
            let err = errno
            close(fd)
            throw SinkError.cursor("fsync \(temporary): \(Self.reason(err))")
        }
        close(fd)
        guard rename(temporary, file) == 0 else { throw SinkError.cursor("rename \(file): \(Self.reason(errno))") }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw SinkError.cursor("open \(directory): \(Self.reason(errno))") }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw SinkError.cursor("fsync \(directory): \(Self.reason(errno))") }
    }

    /// Appends one entry to the sink's ledger (`ledger.jsonl`): what the sink could not load
    /// and why (a segment retention deleted under it, a segment that vanished), fsynced.
    package func appendLedger(_ entry: JSONValue) throws(SinkError) {
        try ensureDirectory()
        let file = directory + "/ledger.jsonl"
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SinkError.cursor("open \(file): \(Self.reason(errno))") }
        defer { close(fd) }
        let bytes = Array((entry.compact + "\n").utf8)
        if let err = bytes.withUnsafeBytes({ POSIXIO.writeAll(fd, $0) }).error {
            throw SinkError.cursor("append \(file): \(Self.reason(err))")
        }
        _ = fsync(fd)
    }

    private func ensureDirectory() throws(SinkError) {
        do throws(StorageError) {
            try makeDirectories(directory)
        } catch {
            throw SinkError.cursor("\(error)")
        }
    }

    private static func reason(_ err: Int32) -> String { String(cString: strerror(err)) + " (errno \(err))" }
}
