#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import Synchronization

/// Facts about a segment that has just been closed; the hand-off point for sealing (gzip,
/// manifest) and for anything else that consumes finished files.
public struct ClosedSegment: Sendable, Equatable {
    public var capture: String
    public var path: String
    public var bytes: Int64
    public var lines: Int
    public var firstReceivedAt: Int64
    public var lastReceivedAt: Int64
}

/// Owns one capture's files: receives filled ``LineBuffer``s from the merger and writes them
/// with `write(2)` on its own thread, so neither the event loops nor the merger ever block on
/// the disk. It also fsyncs on the configured cadence, rotates by size and by wall-clock
/// boundary, and keeps the gap ledger.
///
/// Write errors never lose accepted data: the buffer is retried with backoff while the merger
/// keeps filling fresh buffers, up to `max_buffered`; only what exceeds that bound is dropped,
/// counted, and recorded in the gap ledger (cause `storage`, by the merger).
///
/// With a ``SegmentSealer`` every closed segment is handed to it for sealing, and at
/// ``start()`` whatever a crash left unsealed is queued for recovery first.
public final class SegmentWriter: @unchecked Sendable {
    public let capture: String
    public let directory: String
    private let storage: Mutex<StorageConfig>
    private let logger: Logger
    private let onSegmentClosed: (@Sendable (ClosedSegment) -> Void)?
    /// Seals closed segments and recovers unsealed ones; nil writes plain `.tape` files only.
    public let sealer: SegmentSealer?
    /// `TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER`: test-only; while the named file exists every
    /// write fails with ENOSPC, for tests that cannot make a small filesystem.
    private let faultTrigger: String?
    /// `TICKTAPE_BENCH_WRITE_LOG`: benchmark-only; when each buffer was handed to `write(2)` (``WriteTimeLog``).
    public let writeTimeLog: WriteTimeLog?

    private let filled: SPSCRing<LineBuffer>
    private let free: SPSCRing<LineBuffer>
    private let wake = DispatchSemaphore(value: 0)
    private let finishing = Atomic<Bool>(false)
    private var thread: PinnedThread?

    // Merger-side state.
    private var allocatedBytes = 0

    // Writer-side state.
    private var current: SegmentFile?
    private var lastSyncAt: Int64 = 0
    private var dirty = false
    private let pendingGaps = Mutex<[GapRecord]>([])
    /// Ledger entries written while no segment was open: they belong to the next one.
    private var gapsForNextSegment: [GapRecord] = []

    /// Statistics, readable from any thread.
    public let linesWritten = Atomic<Int>(0)
    public let bytesWritten = Atomic<Int>(0)
    public let segmentsClosed = Atomic<Int>(0)
    public let writeErrors = Atomic<Int>(0)
    /// Lines the merger could not buffer because `max_buffered` was exhausted.
    public let linesDropped = Atomic<Int>(0)
    /// Whether the last write attempt failed (an alarm condition).
    public let failing = Atomic<Bool>(false)

    /// - Parameter writeTimeLog: the benchmark's write-time log; `nil` (default) arms it as
    ///   `TICKTAPE_BENCH_WRITE_LOG` says, `.some(nil)` keeps it off, `.some(log)` uses `log`.
    public init(
        capture: String,
        dataDirectory: String,
        storage: StorageConfig,
        logger: Logger,
        sealing identity: SealIdentity? = nil,
        onSegmentClosed: (@Sendable (ClosedSegment) -> Void)? = nil,
        writeTimeLog: WriteTimeLog?? = nil
    ) throws(StorageError) {
        self.capture = capture
        self.directory = dataDirectory + "/" + capture
        self.storage = Mutex(storage)
        self.logger = logger
        self.onSegmentClosed = onSegmentClosed
        self.sealer = identity.map {
            SegmentSealer(
                capture: capture, directory: dataDirectory + "/" + capture, identity: $0, retention: storage.retention,
                logger: logger)
        }
        self.faultTrigger = getenv("TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER").map { String(cString: $0) }
        if let faultTrigger {
            logger.warning(
                "TEST FAULT SWITCH ARMED: storage writes fail with ENOSPC while this file exists",
                metadata: ["trigger": "\(faultTrigger)"])
        }
        // `nil`: as the environment says; `.some(nil)`: off whatever it says (tests).
        self.writeTimeLog = writeTimeLog ?? WriteTimeLog.fromEnvironment(capture: capture)
        if let log = self.writeTimeLog {
            logger.notice("benchmark write log armed", metadata: ["path": "\(log.path)"])
        }
        let slots = max(16, Int(storage.maxBuffered / Int64(storage.bufferSize)) + 4)
        var capacity = 16
        while capacity < slots * 2 { capacity <<= 1 }
        self.filled = SPSCRing(capacity: capacity)
        self.free = SPSCRing(capacity: capacity)
        try makeDirectories(directory)
    }

    /// Applies new storage settings (rotation, fsync, flush); takes effect from the next buffer.
    public func update(storage newValue: StorageConfig) {
        storage.withLock { $0 = newValue }
        sealer?.update(retention: newValue.retention)
    }

    var bufferSize: Int { storage.withLock { $0.bufferSize } }

    // MARK: Merger side

    /// A buffer to fill with at least `minimum` bytes free, or nil when `max_buffered` is
    /// exhausted (the disk has been failing for a while).
    func acquireBuffer(minimum: Int) -> LineBuffer? {
        while let b = free.pop() {
            if b.capacity >= minimum { return b }
            allocatedBytes -= b.capacity  // an oversize-line buffer that is too small now: let it go
        }
        let (size, limit) = storage.withLock { ($0.bufferSize, $0.maxBuffered) }
        let capacity = max(size, minimum)
        guard Int64(allocatedBytes + capacity) <= max(limit, Int64(capacity)) else { return nil }
        allocatedBytes += capacity
        return LineBuffer(capacity: capacity)
    }

    /// Hands a filled buffer to the writer thread. Never blocks.
    func submit(_ buffer: LineBuffer) {
        let pushed = filled.push(buffer)
        precondition(pushed, "filled ring sized for every buffer that can exist")
        wake.signal()
    }

    /// Records a gap in the ledger (written by the writer thread with the next flush).
    public func record(gap: GapRecord) {
        pendingGaps.withLock { $0.append(gap) }
        wake.signal()
    }

    // MARK: Lifecycle

    /// Starts the writer thread (and the sealer, after queueing crash recovery of whatever
    /// the directory holds unsealed; the writer's first segment is created after that scan).
    public func start() {
        if let sealer {
            sealer.recover()
            sealer.start()
        }
        thread = PinnedThread.start(name: "tt-write") { [self] in run() }
    }

    /// Writes everything submitted so far, closes the current segment, stops the thread, and
    /// seals what is left to seal.
    public func finish() {
        finishing.store(true, ordering: .releasing)
        wake.signal()
        thread?.join()
        thread = nil
        // Before sealing, which can take seconds: the benchmark stops waiting when this file appears.
        if let writeTimeLog, !writeTimeLog.dump() {
            logger.error("could not write the benchmark write log", metadata: ["path": "\(writeTimeLog.path)"])
        }
        sealer?.finish()
    }

    // MARK: Writer thread

    private func run() {
        var backoffMillis = 0
        while true {
            _ = wake.wait(timeout: .now() + .milliseconds(backoffMillis > 0 ? backoffMillis : 50))
            let done = finishing.load(ordering: .acquiring)
            var ok = true
            while let buffer = peekFilled() {
                if write(buffer, giveUpAfterError: done && backoffMillis >= 3200) {
                    buffer.reset()
                    _ = free.push(buffer)
                    backoffMillis = 0
                } else {
                    ok = false
                    backoffMillis = min(max(backoffMillis * 2, 100), 5000)
                    break
                }
            }
            writeGaps()
            if ok { periodicMaintenance() }
            if done && ok && peekedBuffer == nil && filled.count == 0 {
                closeCurrent()
                return
            }
        }
    }

    private var peekedBuffer: LineBuffer?

    /// The oldest filled buffer, left in place until it is written (so a failed write is retried).
    private func peekFilled() -> LineBuffer? {
        if let b = peekedBuffer { return b }
        peekedBuffer = filled.pop()
        return peekedBuffer
    }

    private var partialOffset = 0
    private var lastErrorLogAt: Int64 = 0
    private var suppressedErrors = 0

    /// Writes one buffer. Returns false on an error (to retry later), true when written or given up.
    private func write(_ buffer: LineBuffer, giveUpAfterError: Bool) -> Bool {
        let config = storage.withLock { $0 }
        let now = WallClock.realtimeNanos()
        if partialOffset == 0, let file = current {
            let boundaryPassed = config.rotateInterval.map { Self.boundary(after: file.createdAt, interval: $0) <= now } ?? false
            if file.bytes >= config.rotateSize || boundaryPassed { closeCurrent() }
        }
        do throws(StorageError) {
            if let faultTrigger, access(faultTrigger, F_OK) == 0 {
                throw StorageError(operation: "write (test fault switch)", path: faultTrigger, errno: ENOSPC)
            }
            if current == nil {
                current = try SegmentFile.create(directory: directory, capture: capture, now: now)
                current!.gaps = gapsForNextSegment
                gapsForNextSegment = []
                if config.fsync != .never { SegmentFile.syncDirectory(directory) }
                logger.info("opened segment", metadata: ["path": "\(current!.openPath)"])
            }
        } catch {
            return handleWriteError(error, buffer: buffer, giveUp: giveUpAfterError)
        }
        if let writeTimeLog, partialOffset == 0 {
            writeTimeLog.record(
                cumulativeLines: linesWritten.load(ordering: .relaxed) + buffer.lines, at: WallClock.realtimeNanos())
        }
        let result = current!.write(buffer.bytes, from: partialOffset)
        if let err = result.error {
            partialOffset = result.written
            return handleWriteError(
                StorageError(operation: "write", path: current!.openPath, errno: err), buffer: buffer,
                giveUp: giveUpAfterError)
        }
        partialOffset = 0
        peekedBuffer = nil
        current!.account(lines: buffer.lines, first: buffer.firstReceivedAt, last: buffer.lastReceivedAt)
        for (stream, counts) in buffer.merge { current!.merge[stream, default: StreamMergeTally()].add(counts) }
        linesWritten.add(buffer.lines, ordering: .relaxed)
        bytesWritten.add(buffer.count, ordering: .relaxed)
        dirty = true
        if failing.load(ordering: .relaxed) {
            failing.store(false, ordering: .relaxed)
            logger.notice("storage writes recovered", metadata: ["path": "\(current!.openPath)"])
        }
        if config.fsync == .always { syncNow() }
        return true
    }

    private func handleWriteError(_ error: StorageError, buffer: LineBuffer, giveUp: Bool) -> Bool {
        writeErrors.add(1, ordering: .relaxed)
        failing.store(true, ordering: .relaxed)
        let now = WallClock.monotonicNanos()
        if now - lastErrorLogAt > 10_000_000_000 {
            logger.error(
                "storage write failed; holding data in memory and retrying",
                metadata: ["error": "\(error)", "suppressed": "\(suppressedErrors)"])
            lastErrorLogAt = now
            suppressedErrors = 0
        } else {
            suppressedErrors += 1
        }
        if giveUp {
            logger.critical(
                "storage still failing at shutdown; discarding buffered lines",
                metadata: ["lines": "\(buffer.lines)", "error": "\(error)"])
            linesDropped.add(buffer.lines, ordering: .relaxed)
            partialOffset = 0
            peekedBuffer = nil
            return true
        }
        return false
    }

    private func periodicMaintenance() {
        let config = storage.withLock { $0 }
        let now = WallClock.realtimeNanos()
        if case .interval(let every) = config.fsync, dirty, now - lastSyncAt >= every.nanoseconds {
            syncNow()
        }
        if let file = current, let interval = config.rotateInterval,
            Self.boundary(after: file.createdAt, interval: interval) <= now
        {
            closeCurrent()
        }
    }

    private func syncNow() {
        if let file = current, let err = file.sync() {
            writeErrors.add(1, ordering: .relaxed)
            logger.error("fsync failed", metadata: ["path": "\(file.openPath)", "errno": "\(err)"])
        }
        lastSyncAt = WallClock.realtimeNanos()
        dirty = false
    }

    private func closeCurrent() {
        guard var file = current else { return }
        current = nil
        let doSync = storage.withLock { $0.fsync } != .never
        file.clock.append(ClockSyncState.sample())
        let closedAt = WallClock.realtimeNanos()
        do throws(StorageError) {
            try file.close(sync: doSync)
        } catch {
            writeErrors.add(1, ordering: .relaxed)
            logger.error("closing segment failed", metadata: ["error": "\(error)"])
            // Seal it under whichever name it still has; the sealer retries until it can.
            let source = access(file.finalPath, F_OK) == 0 ? file.finalPath : file.openPath
            sealer?.enqueue(sealJob(for: file, source: source, closedAt: closedAt))
            return
        }
        segmentsClosed.add(1, ordering: .relaxed)
        let closed = ClosedSegment(
            capture: capture, path: file.finalPath, bytes: file.bytes, lines: file.lines,
            firstReceivedAt: file.firstReceivedAt, lastReceivedAt: file.lastReceivedAt)
        logger.info(
            "closed segment",
            metadata: ["path": "\(file.finalPath)", "lines": "\(file.lines)", "bytes": "\(file.bytes)"])
        onSegmentClosed?(closed)
        sealer?.enqueue(sealJob(for: file, source: file.finalPath, closedAt: closedAt))
    }

    private func sealJob(for file: SegmentFile, source: String, closedAt: Int64) -> SealJob {
        SealJob(
            source: source, directory: directory, base: file.base, capture: capture, recovered: false,
            startedAt: file.createdAt, endedAt: closedAt, gaps: file.gaps, merge: file.merge.mapValues(\.report),
            clock: file.clock)
    }

    private func writeGaps() {
        let gaps = pendingGaps.withLock { g -> [GapRecord] in
            defer { g.removeAll() }
            return g
        }
        guard !gaps.isEmpty else { return }
        let path = directory + "/gaps.jsonl"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            logger.error("cannot open gap ledger", metadata: ["path": "\(path)", "errno": "\(errno)"])
            pendingGaps.withLock { $0.insert(contentsOf: gaps, at: 0) }
            return
        }
        defer { close(fd) }
        var text = ""
        for gap in gaps { text += gap.jsonLine }
        // A failed append is cut back, so the retry never leaves a torn entry in the ledger.
        var before = stat()
        let sizeBefore = fstat(fd, &before) == 0 ? before.st_size : -1
        let ok = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 { if errno == EINTR { continue } else { return false } }
                done += n
            }
            return true
        } ?? false
        if !ok {
            if sizeBefore >= 0 { _ = ftruncate(fd, sizeBefore) }
            pendingGaps.withLock { $0.insert(contentsOf: gaps, at: 0) }
            return
        }
        if storage.withLock({ $0.fsync }) != .never {
            _ = fsync(fd)
        }
        if current != nil {
            current!.gaps.append(contentsOf: gaps)
        } else {
            gapsForNextSegment.append(contentsOf: gaps)
        }
    }

    /// The first wall-clock multiple of `interval` after `start` (rotation at 00:00, 01:00, …).
    static func boundary(after start: Int64, interval: Duration) -> Int64 {
        let step = max(interval.nanoseconds, 1)
        return (start / step + 1) * step
    }
}
