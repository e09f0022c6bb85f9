#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// One `kind = "s3"` sink: archives every sealed segment of its captures, data first and
/// manifest last, each exactly once, on its own thread (`tt-sink-<name>`).
///
/// Per capture the cursor (``SinkCursor``, in the sink runtime's ``SinkCursorStore``) names the
/// last segment whose manifest the store confirmed; segments after it are archived in name
/// (= time) order. A multipart upload in flight is in the cursor's `state`
/// (``S3UploadState``), saved after every confirmed part, so a restart resumes it.
///
/// Nothing is ever overwritten: every PUT and completion carries `If-None-Match: *`. A `412`
/// means the key exists: if the stored object is ours (same MD5 ETag: an earlier attempt whose
/// answer was lost) the upload counts as done; otherwise it is a conflict: logged, counted, in
/// the ledger, and the local segment is kept.
///
/// Integrity: before upload the file's SHA-256 is checked against its manifest (the sealed
/// file, not whatever is on disk now); every request carries the body's SHA-256 (signed, and
/// as `x-amz-checksum-sha256`) and `Content-MD5`, which S3 verifies; and the ETag the store
/// computed (the MD5 of the object, or of the part MD5s for a multipart upload) is compared
/// with the local one, which catches a store that ignores the checksum headers. (Under SSE-KMS
/// ETags are not MD5s; the store's checksum check is then what remains.)
///
/// The connection is the sink runtime's state machine: `down(retryAt:failures:)` → `up`, with
/// the same doubling pause up to `retry_max`; a failed request leaves the cursor where it was.
///
/// `@unchecked Sendable`: the lanes and the client are the sink thread's only; what crosses
/// threads is `stopping`, the statistics and the holds.
package final class S3ArchiveRunner: SinkWorker, @unchecked Sendable {
    package let config: SinkConfig
    private let s3: S3SinkConfig
    private let host: String
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let holds: RetentionHolds?
    private let store: SinkCursorStore
    private var lanes: [Lane]
    private var client: S3Client?
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private var thread: PinnedThread?
    package let statistics: [SinkStatistics]

    private enum Connection {
        case down(retryAt: Int64, failures: Int)
        case up
    }

    private var connection = Connection.down(retryAt: 0, failures: 0)
    private var failureLog = RateLimitedLog(every: .seconds(30))
    private var lastReportAt: Int64 = 0

    private final class Lane {
        let capture: String
        let directory: String
        var confirmed: SinkCursor?
        /// The first sealed segment a sink with `start_at = "latest"` and no cursor takes.
        var startAfter: String?
        let statistics: SinkStatistics
        var pending: [String] = []

        /// The segment whose multipart upload the cursor holds, if any.
        var inFlight: String? {
            guard let c = confirmed, let upload = S3UploadState(json: c.state), upload.segment == c.segment else { return nil }
            return c.segment
        }

        /// Whether `segment` is still to be archived: after the cursor's segment, or the one in flight.
        func isPending(_ segment: String) -> Bool {
            if let flight = inFlight { return segment >= flight }
            guard let after = confirmed?.segment ?? startAfter else { return true }
            return segment > after
        }

        /// What retention must keep for this sink.
        var holdBase: String {
            if let flight = inFlight { return flight }
            guard let after = confirmed?.segment ?? startAfter else { return "" }
            return after + "\u{1}"
        }

        init(capture: String, directory: String, confirmed: SinkCursor?, statistics: SinkStatistics) {
            self.capture = capture
            self.directory = directory
            self.confirmed = confirmed
            self.statistics = statistics
        }
    }

    /// Why one segment's upload stopped.
    private enum UploadFailure: Error {
        /// The store failed or refused; retry later from the same cursor.
        case store(S3Error)
        /// The key holds a different object: never overwritten.
        case conflict(String)
        /// The local segment is not what was sealed, or is gone.
        case local(String)
        /// The segment vanished before it was archived (retention, a human).
        case vanished
    }

    init(
        config: SinkConfig, s3: S3SinkConfig, captures: [CaptureConfig], dataDirectory: String, eventLoop: any EventLoop,
        holds: RetentionHolds?, logger: Logger
    ) throws(SinkError) {
        self.config = config
        self.s3 = s3
        self.host = s3.hostID ?? S3ArchiveRunner.sanitizedHostName()
        self.eventLoop = eventLoop
        self.holds = holds
        var logger = logger
        logger[metadataKey: "sink"] = "\(config.name)"
        self.logger = logger
        store = SinkCursorStore(dataDirectory: dataDirectory, sink: config.name)
        var lanes: [Lane] = []
        for capture in captures where config.takes(capture.name) {
            let cursor = try store.load(capture: capture.name)
            let lane = Lane(
                capture: capture.name, directory: dataDirectory + "/" + capture.name, confirmed: cursor,
                statistics: SinkStatistics(sink: config.name, capture: capture.name))
            if cursor == nil, config.startAt == .latest {
                // Everything sealed before the first start stays out of the bucket.
                lane.startAfter = Self.sealedSegments(in: lane.directory).last
            }
            lanes.append(lane)
        }
        self.lanes = lanes
        statistics = lanes.map(\.statistics)
        for lane in lanes {
            let log = self.logger
            let stats = lane.statistics
            let store = self.store
            let name = config.name
            holds?.hold(capture: lane.capture, holder: name, from: lane.holdBase) { capture, segment in
                stats.lostSegments.add(1, ordering: .relaxed)
                log.critical(
                    "sink: retention deleted a segment this sink had not archived (disk critically full); it is missing from the bucket",
                    metadata: ["capture": "\(capture)", "segment": "\(segment)"])
                try? store.appendLedger(
                    .object([
                        ("cause", .string("retention")), ("sink", .string(name)), ("capture", .string(capture)),
                        ("segment", .string(segment)), ("noted_at_ns", .int(WallClock.realtimeNanos())),
                    ]))
            }
        }
    }

    package func start() {
        thread = PinnedThread.start(name: "tt-sink-" + config.name) { [self] in run() }
    }

    package func stop() async {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        await thread?.joined()
        thread = nil
        holds?.release(holder: config.name)
    }

    // MARK: The sink thread

    private func run() {
        logger.notice(
            "sink: started",
            metadata: [
                "captures": "\(lanes.map(\.capture))", "kind": "s3", "target": "\(s3.endpoint.url)/\(s3.bucket)/\(s3.prefix)",
                "host_id": "\(host)",
            ])
        while !stopping.load(ordering: .acquiring) {
            if case .down(let retryAt, let failures) = connection {
                if WallClock.monotonicNanos() < retryAt {
                    report()
                    pause(untilMonotonic: retryAt)
                    continue
                }
                do throws(SinkError) {
                    try connect()
                    connection = .up
                    for lane in lanes {
                        lane.statistics.connected.store(true, ordering: .relaxed)
                        lane.statistics.setError(nil)
                    }
                    logger.notice(failures == 0 ? "sink: connected" : "sink: connected again", metadata: ["failed_attempts": "\(failures)"])
                } catch {
                    fail("\(error)", during: "connect")
                    continue
                }
            }
            var busy = false
            for lane in lanes where !stopping.load(ordering: .relaxed) {
                if step(lane) { busy = true }
                if case .down = connection { break }
            }
            report()
            if !busy { pause(untilMonotonic: WallClock.monotonicNanos() + 250_000_000) }
        }
        for lane in lanes { lane.statistics.connected.store(false, ordering: .relaxed) }
        logger.notice("sink: stopped")
    }

    /// Loads the credentials (at each connect, so a rotated key needs no restart) and checks
    /// that the bucket answers to them.
    private func connect() throws(SinkError) {
        let credentials = try S3Credentials.load(s3.credentials)
        let client = try S3Client(config: s3, credentials: credentials, eventLoop: eventLoop)
        do {
            try client.probe(prefix: s3.prefix)
        } catch {
            throw .target("\(error)")
        }
        self.client = client
    }

    /// Archives the next sealed segment of `lane`, if any. Returns whether there was work.
    private func step(_ lane: Lane) -> Bool {
        guard case .up = connection, let client else { return false }
        lane.pending = Self.sealedSegments(in: lane.directory).filter(lane.isPending)
        lane.statistics.lagSegments.store(lane.pending.count, ordering: .relaxed)
        guard let segment = lane.pending.first else {
            lane.statistics.lagMicros.store(0, ordering: .relaxed)
            return false
        }
        let started = WallClock.monotonicNanos()
        do throws(UploadFailure) {
            let bytes = try archive(segment, lane: lane, client: client)
            confirm(segment, lane: lane, uploaded: bytes)
            logger.info(
                "sink: segment archived",
                metadata: [
                    "capture": "\(lane.capture)", "segment": "\(segment)", "bytes": "\(bytes)",
                    "ms": "\((WallClock.monotonicNanos() - started) / 1_000_000)",
                ])
        } catch {
            switch error {
            case .store(let e):
                fail("\(e)", during: "upload of \(segment)")
            case .conflict(let why):
                lane.statistics.conflicts.add(1, ordering: .relaxed)
                logger.critical(
                    "sink: the key already holds a different object; not overwritten, the local segment is kept",
                    metadata: ["capture": "\(lane.capture)", "segment": "\(segment)", "detail": "\(why)"])
                ledger(cause: "conflict", lane: lane, segment: segment, detail: why)
                confirm(segment, lane: lane, uploaded: 0, keepLocal: true)
            case .local(let why):
                lane.statistics.errors.add(1, ordering: .relaxed)
                lane.statistics.setError(why)
                failureLog.log(
                    logger, .error, "sink: a sealed segment does not match its manifest; not archived (run ticktape verify)",
                    metadata: ["capture": "\(lane.capture)", "segment": "\(segment)", "error": "\(why)"])
                ledger(cause: "corrupt", lane: lane, segment: segment, detail: why)
                confirm(segment, lane: lane, uploaded: 0, keepLocal: true)
            case .vanished:
                lane.statistics.lostSegments.add(1, ordering: .relaxed)
                logger.error("sink: a segment vanished before it was archived", metadata: ["capture": "\(lane.capture)", "segment": "\(segment)"])
                ledger(cause: "missing", lane: lane, segment: segment, detail: "")
                confirm(segment, lane: lane, uploaded: 0, keepLocal: true)
            }
        }
        return true
    }

    /// Records `segment` as done: cursor, hold, figures; deletes the local copy when configured
    /// and no other sink still needs it.
    private func confirm(_ segment: String, lane: Lane, uploaded bytes: Int, keepLocal: Bool = false) {
        let cursor = SinkCursor(segment: segment, offset: Int64(bytes), lines: 0, lastReceivedAt: 0, state: .null)
        do throws(SinkError) {
            try store.save(cursor, capture: lane.capture)
        } catch {
            // Archived; the next save covers it. After a crash the 412 check absorbs the repeat.
            lane.statistics.errors.add(1, ordering: .relaxed)
            failureLog.log(logger, .error, "sink: saving the cursor failed", metadata: ["capture": "\(lane.capture)", "error": "\(error)"])
        }
        lane.confirmed = cursor
        holds?.advance(capture: lane.capture, holder: config.name, to: lane.holdBase)
        if bytes > 0 {
            lane.statistics.segmentsUploaded.add(1, ordering: .relaxed)
            lane.statistics.bytesUploaded.add(bytes, ordering: .relaxed)
            lane.statistics.linesConsumed.add(1, ordering: .relaxed)
        }
        if s3.deleteLocalAfterUpload, !keepLocal, !(holds?.isHeld(capture: lane.capture, segment: segment) ?? false) {
            // The manifest first: without it the data file is no longer a sealed segment.
            _ = unlink(lane.directory + "/" + segment + SegmentName.manifestSuffix)
            _ = unlink(lane.directory + "/" + segment + SegmentName.sealedSuffix)
        }
    }

    /// Uploads `segment`'s data file then its manifest; returns the bytes sent.
    private func archive(_ segment: String, lane: Lane, client: S3Client) throws(UploadFailure) -> Int {
        let base = lane.directory + "/" + segment
        let manifestBytes: [UInt8]
        let manifest: SegmentManifest
        do {
            manifestBytes = try DurableFile.readAll(base + SegmentName.manifestSuffix)
            manifest = try SegmentManifest(parsing: String(decoding: manifestBytes, as: UTF8.self))
        } catch {
            if DurableFile.status(base + SegmentName.manifestSuffix) == nil { throw .vanished }
            throw .local("manifest unreadable: \(error)")
        }
        guard let status = DurableFile.status(base + SegmentName.sealedSuffix) else { throw .vanished }
        guard status.size == manifest.compressedBytes else {
            throw .local("data file is \(status.size) bytes, manifest says \(manifest.compressedBytes)")
        }
        let keys = S3ObjectKeys(prefix: s3.prefix, capture: lane.capture, segment: segment, host: host)
        let metadata = [
            ("x-amz-meta-ticktape-sha256", manifest.sha256), ("x-amz-meta-ticktape-records", "\(manifest.records)"),
            ("x-amz-meta-ticktape-host", host),
        ]
        if status.size <= s3.multipartThreshold {
            let data: [UInt8]
            do {
                data = try DurableFile.readAll(base + SegmentName.sealedSuffix)
            } catch {
                throw DurableFile.status(base + SegmentName.sealedSuffix) == nil ? .vanished : .local("\(error)")
            }
            let sha = Array(SHA256.hash(data: data))
            guard sha.hex == manifest.sha256 else { throw .local("SHA-256 of the data file differs from its manifest") }
            try putOnce(key: keys.data, bytes: data, sha256: sha, metadata: metadata, client: client)
        } else {
            try putMultipart(key: keys.data, path: base + SegmentName.sealedSuffix, size: status.size, manifest: manifest, segment: segment, lane: lane, metadata: metadata, client: client)
        }
        try putOnce(key: keys.manifest, bytes: manifestBytes, sha256: Array(SHA256.hash(data: manifestBytes)), metadata: [], client: client)
        return Int(status.size) + manifestBytes.count
    }

    /// One PUT that never overwrites; an existing identical object counts as done.
    private func putOnce(key: String, bytes: [UInt8], sha256: [UInt8], metadata: [(String, String)], client: S3Client) throws(UploadFailure) {
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        let expected = "\"" + md5.hex + "\""
        do {
            let answer = try client.putNew(key: key, body: ByteBuffer(bytes: bytes), sha256: sha256, md5: md5, extra: metadata)
            if checksETag, let etag = answer.headers.first(name: "ETag"), etag != expected {
                throw UploadFailure.conflict("the store's ETag \(etag) for \(key) is not the MD5 of what was sent (\(expected)); the stored object is damaged")
            }
        } catch let error as S3Error where error.status == 412 {
            try sameObject(key: key, expectedETag: expected, client: client)
        } catch let failure as UploadFailure {
            throw failure
        } catch {
            throw .store(error as! S3Error)
        }
    }

    /// After a 412: the key exists. Done if it holds what we would have written.
    private func sameObject(key: String, expectedETag: String, client: S3Client) throws(UploadFailure) {
        let stored: HTTPHeaders?
        do {
            stored = try client.head(key: key)
        } catch {
            throw .store(error)
        }
        guard let stored else { throw .store(S3Error(status: 412, code: "PreconditionFailed", message: "key exists but HEAD finds none", request: "HEAD \(key)")) }
        let etag = stored.first(name: "ETag")
        if etag == expectedETag || !checksETag {
            logger.info("sink: object already archived (an earlier attempt's answer was lost)", metadata: ["key": "\(key)"])
            return
        }
        throw .conflict("\(key) holds ETag \(etag ?? "none"), ours is \(expectedETag)")
    }

    /// ETags are MD5s unless SSE-KMS encrypts the object.
    private var checksETag: Bool {
        if case .kms = s3.encryption { return false }
        return true
    }

    /// A multipart upload, resumed from the cursor's ``S3UploadState`` when it is this segment's.
    private func putMultipart(
        key: String, path: String, size: Int64, manifest: SegmentManifest, segment: String, lane: Lane, metadata: [(String, String)],
        client: S3Client
    ) throws(UploadFailure) {
        var state = lane.confirmed.flatMap { S3UploadState(json: $0.state) }.flatMap { $0.segment == segment ? $0 : nil }
        if let resumed = state {
            // The store's view decides which parts count; an upload that is gone (completed or
            // aborted before the restart) starts over, and the completion's 412 check then
            // finds an object completed earlier.
            do {
                let stored = try client.listParts(key: key, uploadID: resumed.uploadID).sorted { $0.number < $1.number }
                let agreeing = zip(resumed.parts, stored).prefix { $0.0.number == $0.1.number && $0.0.etag == $0.1.etag }.count
                state!.parts = Array(resumed.parts.prefix(agreeing))
                logger.notice("sink: resuming a multipart upload", metadata: ["key": "\(key)", "parts_confirmed": "\(agreeing)"])
            } catch where error.code == "NoSuchUpload" || error.status == 404 {
                state = nil
            } catch {
                throw .store(error)
            }
        }
        if state == nil {
            do {
                let id = try client.createMultipart(key: key, extra: metadata)
                state = S3UploadState(segment: segment, uploadID: id, partSize: s3.partSize)
            } catch {
                throw .store(error)
            }
            saveUploadState(state!, lane: lane)
        }
        var upload = state!
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? .vanished : .local("open \(path): errno \(errno)") }
        defer { close(fd) }
        var whole = SHA256()
        var partMD5s: [UInt8] = []
        let count = Int((size + upload.partSize - 1) / upload.partSize)
        var buffer = [UInt8](repeating: 0, count: Int(upload.partSize))
        for number in 1...count {
            let length = Int(min(upload.partSize, size - Int64(number - 1) * upload.partSize))
            var filled = 0
            while filled < length {
                let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, length - filled, off_t(Int64(number - 1) * upload.partSize + Int64(filled))) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw .local("short read of \(path) at part \(number)") }
                filled += n
            }
            let part = Array(buffer[..<length])
            whole.update(data: part)
            let sha = Array(SHA256.hash(data: part))
            let md5 = Array(Insecure.MD5.hash(data: part))
            partMD5s += md5
            if number <= upload.parts.count {
                guard upload.parts[number - 1].sha256 == S3Client.base64(sha) else {
                    // The file changed under a resumed upload: start over.
                    try? client.abortMultipart(key: key, uploadID: upload.uploadID)
                    throw .local("part \(number) differs from the one uploaded before the restart")
                }
                continue
            }
            let etag: String
            do {
                etag = try client.uploadPart(key: key, uploadID: upload.uploadID, number: number, body: ByteBuffer(bytes: part), sha256: sha, md5: md5)
            } catch {
                throw .store(error)
            }
            if checksETag, etag != "\"" + md5.hex + "\"" {
                throw .store(S3Error(status: 200, code: "BadDigest", message: "part \(number): the store's ETag \(etag) is not the part's MD5", request: "PUT \(key) part"))
            }
            upload.parts.append(.init(number: number, etag: etag, sha256: S3Client.base64(sha)))
            saveUploadState(upload, lane: lane)
        }
        guard whole.finalizeHex() == manifest.sha256 else {
            try? client.abortMultipart(key: key, uploadID: upload.uploadID)
            throw .local("SHA-256 of the data file differs from its manifest")
        }
        let expected = "\"" + Insecure.MD5.hash(data: partMD5s).hex + "-\(count)\""
        do {
            let etag = try client.completeMultipart(key: key, uploadID: upload.uploadID, parts: upload.parts)
            if checksETag, !etag.isEmpty, etag != expected {
                throw UploadFailure.conflict("the store's ETag \(etag) for \(key) is not the multipart MD5 \(expected); the stored object is damaged")
            }
        } catch let error as S3Error where error.status == 412 {
            try? client.abortMultipart(key: key, uploadID: upload.uploadID)
            try sameObject(key: key, expectedETag: expected, client: client)
        } catch let error as S3Error where error.code == "NoSuchUpload" {
            // Completed by an attempt whose answer was lost?
            try sameObject(key: key, expectedETag: expected, client: client)
        } catch let failure as UploadFailure {
            throw failure
        } catch {
            throw .store(error as! S3Error)
        }
    }

    /// Saves the cursor with `upload` in flight: the cursor names the segment, its state the
    /// upload (everything before the segment is archived, since segments go in order).
    private func saveUploadState(_ upload: S3UploadState, lane: Lane) {
        let cursor = SinkCursor(segment: upload.segment, state: upload.json)
        do throws(SinkError) {
            try store.save(cursor, capture: lane.capture)
            lane.confirmed = cursor
        } catch {
            lane.statistics.errors.add(1, ordering: .relaxed)
            failureLog.log(logger, .error, "sink: saving the upload state failed", metadata: ["capture": "\(lane.capture)", "error": "\(error)"])
        }
    }

    private func ledger(cause: String, lane: Lane, segment: String, detail: String) {
        try? store.appendLedger(
            .object([
                ("cause", .string(cause)), ("sink", .string(config.name)), ("capture", .string(lane.capture)),
                ("segment", .string(segment)), ("detail", .string(detail)), ("noted_at_ns", .int(WallClock.realtimeNanos())),
            ]))
    }

    private func fail(_ message: String, during what: String) {
        let failures: Int = {
            if case .down(_, let n) = connection { return n + 1 }
            return 1
        }()
        let pause = SinkRunner.backoff(failures: failures, maximum: config.retryMax)
        let jittered = pause.nanoseconds / 2 + Int64.random(in: 0...(pause.nanoseconds / 2))
        connection = .down(retryAt: WallClock.monotonicNanos() + jittered, failures: failures)
        client = nil
        for lane in lanes {
            lane.statistics.errors.add(1, ordering: .relaxed)
            lane.statistics.retries.add(1, ordering: .relaxed)
            lane.statistics.connected.store(false, ordering: .relaxed)
            lane.statistics.setError(message)
        }
        failureLog.log(
            logger, failures == 1 ? .error : .warning, "sink: \(what) failed; capture goes on, the sink retries and resumes from its cursor",
            metadata: ["error": "\(message)", "retry_in": "\(HumanDuration.formatForLog(.nanoseconds(jittered)))", "failures": "\(failures)"])
    }

    private func pause(untilMonotonic deadline: Int64) {
        let wait = max(0, min(deadline - WallClock.monotonicNanos(), 250_000_000))
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait)))
    }

    /// Lag figures about once a second.
    private func report() {
        let now = WallClock.monotonicNanos()
        guard now - lastReportAt >= 1_000_000_000 else { return }
        lastReportAt = now
        let wall = WallClock.realtimeNanos()
        for lane in lanes {
            let oldest = lane.pending.first.flatMap { SegmentName.startNanos(of: $0) }
            lane.statistics.lagMicros.store(oldest.map { Int(max(0, wall - $0) / 1000) } ?? 0, ordering: .relaxed)
        }
    }

    /// Base names of the sealed segments in `directory` (those with a manifest), in order.
    static func sealedSegments(in directory: String) -> [String] {
        guard let names = try? DurableFile.list(directory) else { return [] }
        return names.filter { $0.hasSuffix(SegmentName.manifestSuffix) }.map { String($0.dropLast(SegmentName.manifestSuffix.count)) }.sorted()
    }

    /// The host name, with anything but letters, digits, `.`, `_`, `-` as `-`.
    static func sanitizedHostName() -> String {
        let name = SealIdentity.hostName()
        let cleaned = String(name.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
        return cleaned.isEmpty ? "host" : cleaned
    }
}
