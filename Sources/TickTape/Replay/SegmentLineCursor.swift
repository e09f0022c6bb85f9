#if canImport(Glibc)
import Glibc
#endif

/// Reads one segment (plain `.tape`/`.tape.open` or sealed `.tape.gz`) a line at a time, on
/// demand.
///
/// Why not ``RecordingReader/forEachLine(_:_:)``: that one pushes every line through a
/// closure until the end, while a replay pulls the next line only when its release time comes
/// or the client can take more, and may stop for minutes in between (pause). So this keeps an
/// open descriptor, a small compressed read buffer and the decoded bytes of at most a few
/// chunks: memory stays bounded whatever the file's size.
///
/// An open segment still being written may end in a partial line; it is not returned.
/// Not thread-safe: one cursor belongs to one replay session on its event loop.
final class SegmentLineCursor {
    /// One line: its receive stamp and the frame's byte range in ``bytes``, valid until the
    /// next call to ``next()``.
    struct Line {
        var stamp: Int64
        var frame: Range<Int>
    }

    let path: String
    private let fd: Int32
    private var decoder: GzipDecoder?
    private var sniffed = false
    private var atEnd = false
    private let readChunk: Int
    private let input: UnsafeMutableRawBufferPointer
    /// Decoded bytes not yet returned start at `start`.
    private(set) var bytes: [UInt8] = []
    private var start = 0
    /// Lines returned so far (the history API's continuation token counts them).
    private(set) var lineNumber = 0

    /// Opens `path`; nil if it cannot be opened (a segment sealed and removed meanwhile).
    init?(path: String, readChunk: Int = 32 << 10) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.path = path
        self.readChunk = readChunk
        input = .allocate(byteCount: readChunk, alignment: 16)
        bytes.reserveCapacity(readChunk * 8)
    }

    deinit {
        close(fd)
        input.deallocate()
    }

    /// The next well-formed line, nil at the end of the file (or of what is written so far).
    func next() throws -> Line? {
        while true {
            if let line = takeLine() { return line }
            guard try fill() else { return nil }
        }
    }

    private func takeLine() -> Line? {
        while start < bytes.count {
            let found: Int? = bytes.withUnsafeBytes { raw in
                guard let hit = memchr(raw.baseAddress! + start, 0x0A, bytes.count - start) else { return nil }
                return raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
            }
            guard let end = found else { return nil }
            let lineStart = start
            start = end + 1
            let parsed: (Int64, Int)? = bytes.withUnsafeBytes { raw in
                SegmentTally.parseStamp(UnsafeRawBufferPointer(rebasing: raw[lineStart..<end]))
            }
            guard let (stamp, offset) = parsed else { continue }
            lineNumber += 1
            return Line(stamp: stamp, frame: (lineStart + offset)..<end)
        }
        return nil
    }

    /// Reads (and decodes) the next chunk; false at the end of the file.
    private func fill() throws -> Bool {
        guard !atEnd else { return false }
        // Drop what was returned; keep the partial line.
        if start > 0 {
            bytes.removeSubrange(0..<start)
            start = 0
        }
        while true {
            let n = read(fd, input.baseAddress, readChunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError(operation: "read", path: path, errno: errno)
            }
            if n == 0 {
                atEnd = true
                return false
            }
            let chunk = UnsafeRawBufferPointer(rebasing: input[0..<n])
            if !sniffed {
                sniffed = true
                if n >= 2, chunk[0] == 0x1F, chunk[1] == 0x8B { decoder = try GzipDecoder() }
            }
            let before = bytes.count
            if let decoder {
                try decoder.decompress(chunk) { bytes.append(contentsOf: $0) }
            } else {
                bytes.append(contentsOf: chunk)
            }
            if bytes.count > before { return true }
        }
    }
}
