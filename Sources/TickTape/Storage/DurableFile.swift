#if canImport(Glibc)
import Glibc
#endif

/// The few file operations sealing, recovery and retention are built from, each with the
/// durability step that makes it survive power loss.
///
/// A file is published by writing a temporary, fsyncing it, `link`ing it to its final name
/// (which fails instead of replacing an existing file: nothing is ever overwritten),
/// unlinking the temporary and fsyncing the directory. A reader therefore sees either no file
/// or the complete one, after a crash or a power cut alike.
package enum DurableFile {
    /// The whole file.
    package static func readAll(_ path: String) throws(StorageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { POSIXIO.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw StorageError(operation: "read", path: path, errno: errno) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The whole file as UTF-8 text.
    package static func readText(_ path: String) throws(StorageError) -> String {
        String(decoding: try readAll(path), as: UTF8.self)
    }

    /// Reads the file in chunks of `chunkSize` bytes.
    package static func forEachChunk(
        _ path: String, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = POSIXIO.read(fd, buffer.baseAddress, chunkSize)
            if n < 0 { throw StorageError(operation: "read", path: path, errno: errno) }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StorageError) {
        if let err = POSIXIO.writeAll(fd, bytes).error { throw StorageError(operation: "write", path: path, errno: err) }
    }

    /// Creates `path` exclusively for writing, first removing a stale temporary of the same name.
    static func createTemporary(_ path: String) throws(StorageError) -> Int32 {
        if access(path, F_OK) == 0 { _ = unlink(path) }  // an earlier attempt's incomplete work
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(operation: "create", path: path, errno: errno) }
        return fd
    }

    /// fsyncs and closes `fd` (the temporary at `temporary`), then links it to `final` and
    /// removes the temporary; fsyncs `directory` (a failure of that is reported to `health`:
    /// the file is complete, only its name's durability is in doubt, and throwing would make
    /// a retry meet its own published file). Throws EEXIST if `final` exists.
    static func publish(
        fd: Int32, temporary: String, as final: String, directory: String, health: StorageHealth
    ) throws(StorageError) {
        if fsync(fd) != 0 {
            let err = errno
            close(fd)
            throw StorageError(operation: "fsync", path: temporary, errno: err)
        }
        close(fd)
        if link(temporary, final) != 0 {
            let err = errno
            throw StorageError(operation: "link", path: final, errno: err)
        }
        _ = unlink(temporary)
        health.syncDirectory(directory)
    }

    /// Writes `text` to `path` through a temporary (see ``publish(fd:temporary:as:directory:)``).
    static func writeNew(_ text: String, to path: String, directory: String, health: StorageHealth) throws(StorageError) {
        let temporary = path + SegmentName.temporarySuffix
        let fd = try createTemporary(temporary)
        let bytes = Array(text.utf8)
        let failure: StorageError? = bytes.withUnsafeBytes { raw in
            do throws(StorageError) {
                try writeAll(fd, raw, path: temporary)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            close(fd)
            _ = unlink(temporary)
            throw failure
        }
        do throws(StorageError) {
            try publish(fd: fd, temporary: temporary, as: path, directory: directory, health: health)
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Renames without ever replacing: `link` + `unlink`, then fsyncs the directory.
    static func move(_ from: String, to: String, directory: String, health: StorageHealth) throws(StorageError) {
        if link(from, to) != 0 { throw StorageError(operation: "link", path: to, errno: errno) }
        if unlink(from) != 0 { throw StorageError(operation: "unlink", path: from, errno: errno) }
        health.syncDirectory(directory)
    }

    /// Names in `directory` (no `.`/`..`), sorted.
    package static func list(_ directory: String) throws(StorageError) -> [String] {
        guard let dir = opendir(directory) else { throw StorageError(operation: "opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Size in bytes and modification time (ns), or nil if the file does not exist.
    package static func status(_ path: String) -> (size: Int64, modifiedAt: Int64, isDirectory: Bool)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        return (Int64(st.st_size), mtime, (st.st_mode & S_IFMT) == S_IFDIR)
    }
}
