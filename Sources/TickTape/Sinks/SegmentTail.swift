#if canImport(Glibc)
import Glibc
#endif

/// Reads one capture's segment files in order, complete lines only, from a ``SinkCursor``,
/// following the open segment as it grows and across its hand-over to the sealer.
///
/// A segment is read in whichever form it has when the tail reaches it, in this order:
/// `.tape.open` (being written), `.tape` (closed, waiting for the sealer), `.tape.recovered`
/// (the untouched source of a crash-recovered segment) or `.tape.gz` (decompressed on the fly).
/// All are byte-identical prefixes of the same line stream, so the cursor's byte offset is valid
/// in each. The open file is followed through its file descriptor: the writer's `link` +
/// `unlink` to `.tape`, and the sealer removing that after sealing, leave the inode readable
/// while the descriptor is open. The segment is finished once its `.tape.open` name is gone and
/// a last read found nothing more; a partial line at its end is a torn tail (a crash), counted
/// and skipped, never delivered. Lines that are not `<ns> <frame>` are counted and skipped.
///
/// Owned by one thread (the sink's), never shared: no locks.
final class SegmentTail {
    let capture: String
    let directory: String
    private let startAt: SinkStart
    /// Where the next undelivered line starts; nil until the capture has a first segment.
    private(set) var cursor: SinkCursor?
    private var source: Source?
    private var bytes: [UInt8] = []
    private var start = 0
    /// Called when the cursor's segment has vanished (retention under disk pressure, a human):
    /// the tail moves on to the next one, and the sink records the loss.
    var onSegmentLost: ((String) -> Void)?

    /// Lines skipped because they were not `<ns> <frame>`, and torn tails left out.
    private(set) var malformedLines = 0
    private(set) var tornTails = 0

    private enum Source {
        /// A plain file; `live` while its `.tape.open` name still exists.
        case plain(fd: Int32, live: Bool)
        /// A sealed segment: compressed bytes read from `fd`, inflated, the first `skip`
        /// decompressed bytes dropped (they are before the cursor).
        case gzip(fd: Int32, decoder: GzipDecoder, skip: Int64)
        /// Everything read; waiting for the next segment to exist.
        case finished
    }

    init(capture: String, directory: String, cursor: SinkCursor?, startAt: SinkStart) {
        self.capture = capture
        self.directory = directory
        self.cursor = cursor
        self.startAt = startAt
    }

    deinit { closeSource() }

    /// Delivers up to `limit` complete lines to `line` (receive stamp, frame without newline)
    /// and returns how many; fewer means the tail has caught up with the writer for now.
    /// ``cursor`` is advanced past each line delivered.
    func read(limit: Int, _ line: (Int64, UnsafeRawBufferPointer) -> Void) throws(SinkError) -> Int {
        var delivered = 0
        while delivered < limit {
            if let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if deliver(upTo: end, line) { delivered += 1 }
                continue
            }
            if source == nil {
                guard try openSource() else { return delivered }
            }
            if try fill() > 0 { continue }
            // Nothing more to read just now.
            switch source {
            case .plain(let fd, true):
                if access(path(SegmentName.openSuffix), F_OK) == 0 { return delivered }
                // The writer closed it: whatever it wrote is in the inode; one more read settles it.
                source = .plain(fd: fd, live: false)
                continue
            case .plain, .gzip:
                closeSource()
                source = .finished
                if start < bytes.count {
                    tornTails += 1
                    bytes.removeAll(keepingCapacity: true)
                    start = 0
                }
            case .finished, .none:
                break
            }
            guard let current = cursor?.segment, let next = try segments().first(where: { $0 > current }) else {
                return delivered
            }
            moveTo(next)
        }
        return delivered
    }

    /// Bytes of the segment lines not yet delivered, for lag: the rest of the current plain
    /// file and every later segment (sealed ones by their manifest's raw size).
    func backlogBytes(rawSizes: inout [String: Int64]) -> Int64 {
        guard let cursor else { return 0 }
        var total: Int64 = Int64(bytes.count - start)
        guard let names = try? segments(), !names.isEmpty else { return total }
        for base in names where base >= cursor.segment {
            let size: Int64
            if let s = DurableFile.status(directory + "/" + base + SegmentName.openSuffix)?.size
                ?? DurableFile.status(directory + "/" + base + SegmentName.closedSuffix)?.size
                ?? DurableFile.status(directory + "/" + base + SegmentName.recoveredSuffix)?.size
            {
                size = s
            } else if let cached = rawSizes[base] {
                size = cached
            } else if let manifest = try? SegmentManifest.read(path: directory + "/" + base + SegmentName.manifestSuffix) {
                size = manifest.rawBytes
                rawSizes[base] = size
            } else {
                size = 0
            }
            total += base == cursor.segment ? max(0, size - cursor.offset - Int64(bytes.count - start)) : size
        }
        return total
    }

    // MARK: Lines

    /// Hands the line `bytes[start..<end]` on if it is `<ns> <frame>`; advances the cursor either way.
    private func deliver(upTo end: Int, _ line: (Int64, UnsafeRawBufferPointer) -> Void) -> Bool {
        let length = end - start + 1
        var stamp: Int64 = 0
        var i = start
        var valid = false
        // At most 19 digits (Int64), then the space.
        while i < end, i - start <= 19 {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 && i - start < 19 {
                stamp = stamp * 10 + Int64(b - 0x30)
                i += 1
            } else {
                valid = b == UInt8(ascii: " ") && i > start && i + 1 < end
                break
            }
        }
        if valid {
            bytes.withUnsafeBytes { raw in line(stamp, UnsafeRawBufferPointer(rebasing: raw[(i + 1)..<end])) }
            cursor?.lastReceivedAt = stamp
        } else {
            malformedLines += 1
        }
        cursor?.offset += Int64(length)
        cursor?.lines += 1
        start = end + 1
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        return valid
    }

    // MARK: Files

    private func path(_ suffix: String) -> String {
        directory + "/" + (cursor?.segment ?? "") + suffix
    }

    /// The capture's segment base names, oldest first.
    func segments() throws(SinkError) -> [String] {
        let names: [String]
        do throws(StorageError) {
            names = try DurableFile.list(directory)
        } catch {
            if error.errno == ENOENT { return [] }
            throw SinkError.segments("\(error)")
        }
        var bases = Set<String>()
        for name in names where !name.hasSuffix(SegmentName.temporarySuffix) && !name.hasSuffix(SegmentName.manifestSuffix) {
            if let base = SegmentName.base(of: name), SegmentName.startNanos(of: base) != nil { bases.insert(base) }
        }
        return bases.sorted()
    }

    private func moveTo(_ base: String) {
        closeSource()
        bytes.removeAll(keepingCapacity: true)
        start = 0
        let previous = cursor
        cursor = SinkCursor(
            segment: base, lastReceivedAt: previous?.lastReceivedAt ?? 0, state: previous?.state ?? .null)
    }

    /// Opens the cursor's segment at its offset (choosing the first segment if there is no
    /// cursor yet). False when there is nothing to open yet.
    private func openSource() throws(SinkError) -> Bool {
        if cursor == nil {
            let all = try segments()
            guard let first = startAt == .oldest ? all.first : all.last else { return false }
            cursor = SinkCursor(segment: first)
        }
        guard let cursor else { return false }
        for suffix in [SegmentName.openSuffix, SegmentName.closedSuffix, SegmentName.recoveredSuffix] {
            let fd = open(path(suffix), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let size = lseek(fd, 0, SEEK_END)
            if size < cursor.offset {
                // Shorter than what was consumed: a power loss took unsynced bytes the target already has.
                close(fd)
                source = .finished
                return true
            }
            lseek(fd, off_t(cursor.offset), SEEK_SET)
            source = .plain(fd: fd, live: suffix == SegmentName.openSuffix)
            return true
        }
        let fd = open(path(SegmentName.sealedSuffix), O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            do {
                source = .gzip(fd: fd, decoder: try GzipDecoder(), skip: cursor.offset)
            } catch {
                close(fd)
                throw SinkError.segments("\(error)")
            }
            return true
        }
        // No form of the segment exists any more.
        onSegmentLost?(cursor.segment)
        source = .finished
        return true
    }

    /// Reads more bytes into the buffer; 0 at the end of what exists now.
    private func fill() throws(SinkError) -> Int {
        if start > 0 && start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        } else if start > (1 << 20) {
            bytes.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 1 << 18
        switch source {
        case .plain(let fd, _):
            let before = bytes.count
            bytes.reserveCapacity(before + chunk)
            var n = 0
            var failure: Int32 = 0
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            bytes.withUnsafeMutableBytes { raw in
                n = POSIXIO.read(fd, raw.baseAddress! + before, chunk)
                if n < 0 { failure = errno }
            }
            bytes.removeLast(chunk - max(n, 0))
            if n < 0 { throw SinkError.segments("read \(path("")): errno \(failure)") }
            return n
        case .gzip(let fd, let decoder, var skip):
            var compressed = [UInt8](repeating: 0, count: 1 << 16)
            let before = bytes.count
            // Compressed input can inflate to nothing new yet (skipped, or buffered by zlib):
            // read on until something is produced or the file ends.
            while bytes.count == before {
                let n = compressed.withUnsafeMutableBytes { POSIXIO.read(fd, $0.baseAddress, $0.count) }
                if n < 0 { throw SinkError.segments("read \(path(SegmentName.sealedSuffix)): errno \(errno)") }
                if n == 0 { break }
                do {
                    try compressed.withUnsafeBytes { raw in
                        try decoder.decompress(UnsafeRawBufferPointer(rebasing: raw[0..<n])) { out in
                            if skip >= Int64(out.count) {
                                skip -= Int64(out.count)
                            } else {
                                bytes.append(contentsOf: out[Int(skip)...])
                                skip = 0
                            }
                        }
                    }
                } catch {
                    throw SinkError.segments("\(path(SegmentName.sealedSuffix)): \(error)")
                }
            }
            source = .gzip(fd: fd, decoder: decoder, skip: skip)
            return bytes.count - before
        case .finished, .none:
            return 0
        }
    }

    private func closeSource() {
        switch source {
        case .plain(let fd, _), .gzip(let fd, _, _): close(fd)
        case .finished, .none: break
        }
        source = nil
    }
}
