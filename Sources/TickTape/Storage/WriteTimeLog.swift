#if canImport(Glibc)
import Glibc
#endif

/// When the writer thread handed lines to `write(2)`: one record per buffer written, for the end-to-end
/// benchmark (`scripts/bench-e2e`), which maps capture line *k* (1-based, counted over the writer's life, across
/// segments) to the first record whose cumulative count is ≥ *k*.
///
/// Armed only by `TICKTAPE_BENCH_WRITE_LOG=DIR` (read once when a ``SegmentWriter`` is made); unset, the writer
/// holds `nil` and pays one optional check per buffer. Armed, the writer thread appends two integers to
/// preallocated arrays per buffer (no lock: only that thread touches them) and ``dump()`` writes
/// `DIR/<capture>.writes` at ``SegmentWriter/finish()``: one text line `<cumulative lines> <CLOCK_REALTIME ns>`
/// per buffer, the stamp taken just before the buffer's first `write(2)` call. The file appears atomically
/// (written as `.tmp`, then renamed), so a reader can wait for it.
///
/// `@unchecked Sendable`: written by the writer thread only; read after ``SegmentWriter/finish()`` joined it.
package final class WriteTimeLog: @unchecked Sendable {
    /// The environment variable that arms the log.
    package static let environmentVariable = "TICKTAPE_BENCH_WRITE_LOG"

    package let path: String
    private var cumulativeLines: [Int] = []
    private var nanos: [Int64] = []

    /// A log that ``dump()`` writes to `path`.
    package init(path: String) {
        self.path = path
        // An hour of 100 ms flushes, or ~100 s of 1 MiB buffers at 100 MB/s, without growing.
        cumulativeLines.reserveCapacity(1 << 16)
        nanos.reserveCapacity(1 << 16)
    }

    /// The log for `capture` if the environment arms it, else `nil`.
    package static func fromEnvironment(capture: String) -> WriteTimeLog? {
        guard let value = getenv(environmentVariable), value.pointee != 0 else { return nil }
        return WriteTimeLog(path: String(cString: value) + "/" + capture + ".writes")
    }

    /// Writer thread: lines up to `cumulativeLines` are about to be handed to `write(2)`.
    @inline(__always)
    func record(cumulativeLines lines: Int, at time: Int64) {
        cumulativeLines.append(lines)
        nanos.append(time)
    }

    /// Writes the records to ``path`` (after the writer thread has stopped). Returns false if the file could
    /// not be written.
    @discardableResult
    package func dump() -> Bool {
        var text = ""
        text.reserveCapacity(cumulativeLines.count * 32)
        for (lines, time) in zip(cumulativeLines, nanos) {
            text += "\(lines) \(time)\n"
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        var ok = true
        text.utf8.withContiguousStorageIfAvailable { bytes in
            ok = POSIXIO.writeAll(fd, UnsafeRawBufferPointer(bytes)).error == nil
        }
        close(fd)
        return ok && rename(temporary, path) == 0
    }
}
