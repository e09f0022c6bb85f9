#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// The optional per-message arrivals file beside a capture: for every message, the time its
/// copy arrived on each connection, so the race can be studied offline (`ticktape report`).
///
/// `<capture>-<UTC start>.arrivals.csv`, one line per message:
/// `stream,id,E,arrival_ns_0,…,arrival_ns_{N-1}`, an empty cell where a connection never
/// delivered that message. The merger only copies 32 bytes per copy into a preallocated chunk
/// (no allocation, no formatting); chunks travel to the reporter thread through an SPSC ring
/// and come back through another. If the reporter falls behind beyond ``maximumChunks``,
/// records are dropped and counted rather than slowing the merger. Lines are written when
/// every connection has delivered the message or 2 s after its first arrival. Connections
/// added by a reload beyond the count at start are not in the file until the next start.
///
/// `@unchecked Sendable`: the merger side and the writer side share only the rings and `Mutex`es.
package final class ArrivalsSidecar: @unchecked Sendable {
    static let maximumChunks = 64
    /// How long a message waits for its slower copies before its line is written.
    static let completionWindowNanos: Int64 = 2_000_000_000

    let path: String
    let connections: Int
    /// Records lost because no chunk was free.
    let dropped = Atomic<Int>(0)
    private let full = SPSCRing<ArrivalChunk>(capacity: 128)
    private let free = SPSCRing<ArrivalChunk>(capacity: 128)
    private let names = Mutex<[String]>([])
    private let logger: Logger

    // Merger thread only.
    private var current: ArrivalChunk?
    private var allocated = 0

    // Writer side (reporter thread, or the closing thread after it stopped).
    private let writer: Mutex<Writer>

    private struct Key: Hashable {
        var stream: Int32
        var id: Int64
    }

    private struct Row {
        var eventTime: Int64
        var arrivals: [Int64]
        var seen: Int
        var first: Int64
    }

    private struct Writer {
        var fd: Int32
        var rows: [Key: Row] = [:]
        var order: [Key] = []
        var head = 0
        var newest: Int64 = 0
        var out: [UInt8] = []
    }

    init(capture: String, directory: String, connections: Int, logger: Logger) throws {
        try makeDirectories(directory)
        let path = "\(directory)/\(capture)-\(SegmentFile.utcStamp(nanos: WallClock.realtimeNanos())).arrivals.csv"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(operation: "open", path: path, errno: errno) }
        self.path = path
        self.connections = connections
        self.logger = logger
        var header = "stream,id,E"
        for k in 0..<connections { header += ",arrival_ns_\(k)" }
        header += "\n"
        self.writer = Mutex(Writer(fd: fd, out: Array(header.utf8)))
        self.current = ArrivalChunk()
        self.allocated = 1
    }

    // MARK: Merger thread

    /// Gives a stream its index in the file (once per stream).
    func register(stream name: String) -> Int {
        names.withLock {
            $0.append(name)
            return $0.count - 1
        }
    }

    /// Copies one arrival into the current chunk.
    @inline(__always)
    func append(stream: Int, connection: Int, id: Int64, eventTime: Int64, receivedAt: Int64) {
        guard let chunk = current ?? nextChunk() else {
            dropped.bump()
            return
        }
        chunk.records[chunk.count] = ArrivalRecord(
            stream: Int32(truncatingIfNeeded: stream), connection: Int32(truncatingIfNeeded: connection), id: id,
            eventTime: eventTime, receivedAt: receivedAt)
        chunk.count &+= 1
        if chunk.count == ArrivalChunk.capacity { handOver() }
    }

    /// Passes the current chunk (if it holds anything) to the writer.
    func handOver() {
        guard let chunk = current, chunk.count > 0 else { return }
        if full.push(chunk) {
            current = nil
        } else {
            dropped.bump(chunk.count)
            chunk.count = 0
        }
    }

    private func nextChunk() -> ArrivalChunk? {
        if let recycled = free.pop() {
            current = recycled
        } else if allocated < Self.maximumChunks {
            allocated += 1
            current = ArrivalChunk()
        }
        return current
    }

    // MARK: Writer side

    /// Turns handed-over chunks into lines and writes those that are complete or old enough.
    func writePending(flushAll: Bool = false) {
        let streamNames = names.withLock { $0 }
        writer.withLock { w in
            while let chunk = full.pop() {
                for i in 0..<chunk.count {
                    let r = chunk.records[i]
                    let key = Key(stream: r.stream, id: r.id)
                    let k = Int(r.connection)
                    if r.receivedAt > w.newest { w.newest = r.receivedAt }
                    guard k < connections else { continue }
                    if var row = w.rows[key] {
                        if row.arrivals[k] == 0 { row.seen += 1 }
                        if row.arrivals[k] == 0 { row.arrivals[k] = r.receivedAt }
                        w.rows[key] = row
                    } else {
                        var arrivals = [Int64](repeating: 0, count: connections)
                        arrivals[k] = r.receivedAt
                        w.rows[key] = Row(eventTime: r.eventTime, arrivals: arrivals, seen: 1, first: r.receivedAt)
                        w.order.append(key)
                    }
                }
                chunk.count = 0
                _ = free.push(chunk)
            }
            while w.head < w.order.count {
                let key = w.order[w.head]
                guard let row = w.rows[key] else {
                    w.head += 1
                    continue
                }
                guard flushAll || row.seen == connections || w.newest - row.first > Self.completionWindowNanos else { break }
                let name = Int(key.stream) < streamNames.count ? streamNames[Int(key.stream)] : "?"
                w.out.append(contentsOf: name.utf8)
                w.out.append(UInt8(ascii: ","))
                w.out.append(contentsOf: String(key.id).utf8)
                w.out.append(UInt8(ascii: ","))
                w.out.append(contentsOf: String(row.eventTime).utf8)
                for a in row.arrivals {
                    w.out.append(UInt8(ascii: ","))
                    if a != 0 { w.out.append(contentsOf: String(a).utf8) }
                }
                w.out.append(UInt8(ascii: "\n"))
                w.rows[key] = nil
                w.head += 1
            }
            if w.head > 4096 && w.head * 2 > w.order.count {
                w.order.removeFirst(w.head)
                w.head = 0
            }
            flush(&w)
        }
    }

    private func flush(_ w: inout Writer) {
        guard w.fd >= 0, !w.out.isEmpty else { return }
        if let err = w.out.withUnsafeBytes({ POSIXIO.writeAll(w.fd, $0).error }) {
            logger.error(
                "arrivals file write failed; lines lost",
                metadata: ["path": "\(path)", "error": "\(String(cString: strerror(err)))"])
        }
        w.out.removeAll(keepingCapacity: true)
    }

    /// Writes every pending line and closes the file (idempotent).
    func close() {
        writePending(flushAll: true)
        writer.withLock { w in
            if w.fd >= 0 {
                _ = Glibc.close(w.fd)
                w.fd = -1
            }
        }
    }
}
