#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import Synchronization

/// Facts about a segment that has just been closed; the hand-off point for sealing (gzip,
/// manifest) and for anything else that consumes finished files.
package struct ClosedSegment: Sendable, Equatable {
    package var capture: String
    package var path: String
    package var bytes: Int64
    package var lines: Int
    package var firstReceivedAt: Int64
    package var lastReceivedAt: Int64
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
/// The two buffer rings are allocated once, at start, with room for several times the buffers
/// the start-time `max_buffered` / `buffer_size` allow; the merger never holds more buffers
/// than the rings have slots. A reload that asks for more (a larger `max_buffered`, a smaller
/// `buffer_size`) is clamped to that, and the log says so: the alternative, a ring that cannot
/// take a buffer, would crash the daemon or lose the buffer's bytes from the accounting.
///
/// With a ``SegmentSealer`` every closed segment is handed to it for sealing, and at
/// ``start()`` whatever a crash left unsealed is queued for recovery first.
///
/// `@unchecked Sendable`: the merger-side fields (`allocated*`) are touched by the merger
/// thread only, the writer-side ones (`current`, `peekedBuffer`, the logs) by the writer thread
/// only; what crosses is the SPSC rings, `Mutex`es and atomics.
package final class SegmentWriter: @unchecked Sendable {
    package let capture: String
    package let directory: String
    private let storage: Mutex<StorageConfig>
    private let logger: Logger
    private let onSegmentClosed: (@Sendable (ClosedSegment) -> Void)?
    /// Seals closed segments and recovers unsealed ones; nil writes plain `.tape` files only.
    package let sealer: SegmentSealer?
    /// Every failure of this capture's durability path, shared with the sealer.
    package let health: StorageHealth
    /// Test-only (nil in production): ``FaultSwitches/storageWriteFails`` fails every write
    /// with ENOSPC, for tests that cannot make a small filesystem.
    private let faults: FaultSwitches?
    /// `TICKTAPE_BENCH_WRITE_LOG`: benchmark-only; when each buffer was handed to `write(2)` (``WriteTimeLog``).
    package let writeTimeLog: WriteTimeLog?

    private let filled: SPSCRing<LineBuffer>
    private let free: SPSCRing<LineBuffer>
    /// The most buffers that may exist at once: both rings' capacity, so every push succeeds.
    let bufferLimit: Int
    /// Bytes and count of buffers the writer could not hand back (cannot happen while the
    /// merger respects `bufferLimit`; kept so that nothing ever leaks from the accounting).
    private let unreturnedBytes = Atomic<Int>(0)
    private let unreturnedBuffers = Atomic<Int>(0)
    /// Waited on by the writer thread only (its own pthread, never a cooperative-pool thread).
    private let wake = DispatchSemaphore(value: 0)
    private let finishing = Atomic<Bool>(false)
    private var thread: PinnedThread?

    // Merger-side state.
    private var allocatedBytes = 0
    private var allocatedBuffers = 0

    // Writer-side state.
    private var current: SegmentFile?
    private var lastSyncAt: Int64 = 0
    private var dirty = false
    private let pendingGaps = Mutex<[GapRecord]>([])
    /// Ledger entries written while no segment was open: they belong to the next one.
    private var gapsForNextSegment: [GapRecord] = []

    /// Statistics, readable from any thread.
    package let linesWritten = Atomic<Int>(0)
    package let bytesWritten = Atomic<Int>(0)
    package let segmentsClosed = Atomic<Int>(0)
    /// The open segment's name and the last gaps, for the status API.
    package let glance = SegmentWriterGlance()

    /// - Parameter writeTimeLog: the benchmark's write-time log; `nil` (default) arms it as
    ///   `TICKTAPE_BENCH_WRITE_LOG` says, `.some(nil)` keeps it off, `.some(log)` uses `log`.
    package init(
        capture: String,
        dataDirectory: String,
        storage: StorageConfig,
        logger: Logger,
        sealing identity: SealIdentity? = nil,
        onSegmentClosed: (@Sendable (ClosedSegment) -> Void)? = nil,
        writeTimeLog: WriteTimeLog?? = nil,
        health: StorageHealth? = nil,
        faults: FaultSwitches? = nil,
        holds: RetentionHolds? = nil
    ) throws(StorageError) {
        let health = health ?? StorageHealth(logger: logger)
        self.health = health
        self.capture = capture
        self.directory = dataDirectory + "/" + capture
        self.storage = Mutex(storage)
        self.logger = logger
        self.onSegmentClosed = onSegmentClosed
        self.sealer = identity.map {
            SegmentSealer(
                capture: capture, directory: dataDirectory + "/" + capture, identity: $0, retention: storage.retention,
                logger: logger, health: health, holds: holds)
        }
        self.faults = faults?.storageFailureTrigger == nil ? nil : faults
        // `nil`: as the environment says; `.some(nil)`: off whatever it says (tests).
        self.writeTimeLog = writeTimeLog ?? WriteTimeLog.fromEnvironment(capture: capture)
        if let log = self.writeTimeLog {
            logger.notice("benchmark write log armed", metadata: ["path": "\(log.path)"])
        }
        let capacity = Self.ringCapacity(for: storage)
        self.filled = SPSCRing(capacity: capacity)
        self.free = SPSCRing(capacity: capacity)
        self.bufferLimit = capacity
        try makeDirectories(directory)
        warnIfClamped(storage)
    }

    /// Ring slots for `storage`: four times the buffers it allows (so a reload can raise
    /// `max_buffered` or lower `buffer_size` fourfold without a restart), at least 1024, at
    /// most 2²⁰ (16 MiB of slots for both rings).
    static func ringCapacity(for storage: StorageConfig) -> Int {
        let buffers = Self.buffersAllowed(by: storage)
        let wanted = buffers > (1 << 18) ? 1 << 20 : max(1024, buffers * 4)
        var capacity = 1024
        while capacity < wanted { capacity <<= 1 }
        return capacity
    }

    /// Buffers `max_buffered` allows at `buffer_size` (plus the one being filled and a margin
    /// for lines longer than a buffer).
    static func buffersAllowed(by storage: StorageConfig) -> Int {
        let n = storage.maxBuffered / Int64(max(storage.bufferSize, 1))
        return n > (1 << 40) ? 1 << 40 : Int(n) + 4
    }

    /// Applies new storage settings (rotation, fsync, flush); takes effect from the next buffer.
    /// A `max_buffered`/`buffer_size` pair that needs more buffers than the rings were sized for
    /// at start is clamped to the rings, and the log says how much memory that holds.
    package func update(storage newValue: StorageConfig) {
        storage.withLock { $0 = newValue }
        sealer?.update(retention: newValue.retention)
        warnIfClamped(newValue)
    }

    /// Says when `max_buffered` / `buffer_size` ask for more buffers than the rings hold.
    private func warnIfClamped(_ newValue: StorageConfig) {
        let wanted = Self.buffersAllowed(by: newValue)
        if wanted > bufferLimit {
            logger.warning(
                "max_buffered is clamped: the write buffer rings were sized at start (restart to resize them)",
                metadata: [
                    "max_buffered": "\(ByteSize.format(newValue.maxBuffered))",
                    "buffer_size": "\(ByteSize.format(Int64(newValue.bufferSize)))",
                    "buffers_wanted": "\(wanted)", "buffers_allowed": "\(bufferLimit)",
                    "effective_max_buffered": "\(ByteSize.format(Int64(bufferLimit) * Int64(newValue.bufferSize)))",
                ])
        }
    }

    var bufferSize: Int { storage.withLock { $0.bufferSize } }

    // MARK: Merger side

    /// A buffer to fill with at least `minimum` bytes free, or nil when `max_buffered` is
    /// exhausted (the disk has been failing for a while).
    /// Never more than ``bufferLimit`` buffers exist, so the rings always have room for all.
    func acquireBuffer(minimum: Int) -> LineBuffer? {
        if unreturnedBuffers.load(ordering: .relaxed) > 0 {
            allocatedBuffers -= unreturnedBuffers.exchange(0, ordering: .relaxed)
            allocatedBytes -= unreturnedBytes.exchange(0, ordering: .relaxed)
        }
        while let b = free.pop() {
            if b.capacity >= minimum { return b }
            // An oversize-line buffer that is too small now: let it go.
            allocatedBytes -= b.capacity
            allocatedBuffers -= 1
        }
        let (size, limit) = storage.withLock { ($0.bufferSize, $0.maxBuffered) }
        let capacity = max(size, minimum)
        guard Int64(allocatedBytes + capacity) <= max(limit, Int64(capacity)), allocatedBuffers < bufferLimit else {
            return nil
        }
        allocatedBytes += capacity
        allocatedBuffers += 1
        return LineBuffer(capacity: capacity)
    }

    /// Hands a filled buffer to the writer thread. Never blocks.
    func submit(_ buffer: LineBuffer) {
        let pushed = filled.push(buffer)
        precondition(pushed, "filled ring sized for every buffer that can exist (bufferLimit)")
        wake.signal()
    }

    /// Records a gap in the ledger (written by the writer thread with the next flush).
    package func record(gap: GapRecord) {
        pendingGaps.withLock { $0.append(gap) }
        glance.recorded(gap)
        wake.signal()
    }

    // MARK: Lifecycle

    /// Starts the writer thread (and the sealer, after queueing crash recovery of whatever
    /// the directory holds unsealed; the writer's first segment is created after that scan).
    package func start() {
        if let sealer {
            sealer.recover()
            sealer.start()
        }
        thread = PinnedThread.start(name: "tt-write") { [self] in run() }
    }

    /// Writes everything submitted so far, closes the current segment, stops the thread, and
    /// seals what is left to seal. The writing and sealing run on the writer's and sealer's
    /// threads; the caller only suspends until they are done.
    package func finish() async {
        finishing.store(true, ordering: .releasing)
        wake.signal()
        await thread?.joined()
        thread = nil
        // Before sealing, which can take seconds: the benchmark stops waiting when this file appears.
        if let writeTimeLog, !writeTimeLog.dump() {
            logger.error("could not write the benchmark write log", metadata: ["path": "\(writeTimeLog.path)"])
        }
        await sealer?.finish()
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
                    if !free.push(buffer) {
                        // Never expected (see bufferLimit); if it happens, the bytes go back anyway.
                        unreturnedBytes.add(buffer.capacity, ordering: .relaxed)
                        unreturnedBuffers.add(1, ordering: .relaxed)
                    }
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
    private var writeErrorLog = RateLimitedLog(every: .seconds(10))
    private var ledgerErrorLog = RateLimitedLog(every: .seconds(10))

    /// Writes one buffer. Returns false on an error (to retry later), true when written or given up.
    private func write(_ buffer: LineBuffer, giveUpAfterError: Bool) -> Bool {
        let config = storage.withLock { $0 }
        let now = WallClock.realtimeNanos()
        if partialOffset == 0, let file = current {
            let boundaryPassed = config.rotateInterval.map { Self.boundary(after: file.createdAt, interval: $0) <= now } ?? false
            if file.bytes >= config.rotateSize || boundaryPassed { closeCurrent() }
        }
        do throws(StorageError) {
            if let faults, faults.storageWriteFails {
                throw StorageError(
                    operation: "write (test fault switch)", path: faults.storageFailureTrigger ?? "", errno: ENOSPC)
            }
            if current == nil {
                current = try SegmentFile.create(directory: directory, capture: capture, now: now)
                current!.gaps = gapsForNextSegment
                gapsForNextSegment = []
                if config.fsync != .never { health.syncDirectory(directory) }
                glance.opened(path: current!.openPath)
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
        if health.writesFailing.exchange(false, ordering: .relaxed) {
            logger.notice("storage writes recovered", metadata: ["path": "\(current!.openPath)"])
        }
        if config.fsync == .always { syncNow() }
        return true
    }

    private func handleWriteError(_ error: StorageError, buffer: LineBuffer, giveUp: Bool) -> Bool {
        health.writeErrors.add(1, ordering: .relaxed)
        health.writesFailing.store(true, ordering: .relaxed)
        writeErrorLog.log(
            logger, .error, "storage write failed; holding data in memory and retrying", metadata: ["error": "\(error)"])
        if giveUp {
            logger.critical(
                "storage still failing at shutdown; discarding buffered lines",
                metadata: ["lines": "\(buffer.lines)", "error": "\(error)"])
            health.linesDiscardedAtShutdown.add(buffer.lines, ordering: .relaxed)
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
        if let file = current {
            if let err = file.sync() {
                health.writeErrors.add(1, ordering: .relaxed)
                health.segmentSyncFailures.add(1, ordering: .relaxed)
                health.segmentSyncFailing.store(true, ordering: .relaxed)
                logger.error("fsync failed", metadata: ["path": "\(file.openPath)", "errno": "\(err)"])
            } else if health.segmentSyncFailing.exchange(false, ordering: .relaxed) {
                logger.notice("fsync works again", metadata: ["path": "\(file.openPath)"])
            }
        }
        lastSyncAt = WallClock.realtimeNanos()
        dirty = false
    }

    private func closeCurrent() {
        guard var file = current else { return }
        current = nil
        glance.closed()
        let doSync = storage.withLock { $0.fsync } != .never
        file.clock.append(ClockSyncState.sample())
        let closedAt = WallClock.realtimeNanos()
        do throws(StorageError) {
            try file.close(sync: doSync, health: health)
        } catch {
            health.writeErrors.add(1, ordering: .relaxed)
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
            let err = errno
            ledgerFailed()
            ledgerErrorLog.log(
                logger, .error, "cannot open gap ledger; its entries are kept and retried",
                metadata: ["path": "\(path)", "errno": "\(err)"])
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
            POSIXIO.writeAll(fd, UnsafeRawBufferPointer(bytes)).error == nil
        } ?? false
        if !ok {
            let err = errno
            // A failed cut-back could leave a torn entry; say so rather than hope.
            let cut = sizeBefore >= 0 && ftruncate(fd, sizeBefore) == 0
            ledgerFailed()
            ledgerErrorLog.log(
                logger, .error, "gap ledger append failed; its entries are kept and retried",
                metadata: ["path": "\(path)", "errno": "\(err)", "cut_back": "\(cut)"])
            pendingGaps.withLock { $0.insert(contentsOf: gaps, at: 0) }
            return
        }
        if storage.withLock({ $0.fsync }) != .never {
            if health.fsync(fd) != 0 {
                let err = errno
                health.ledgerSyncFailures.add(1, ordering: .relaxed)
                health.ledgerFailing.store(true, ordering: .relaxed)
                ledgerErrorLog.log(
                    logger, .error, "gap ledger fsync failed; its latest entries may not survive a power loss",
                    metadata: ["path": "\(path)", "errno": "\(err)"])
            } else if health.ledgerFailing.exchange(false, ordering: .relaxed) {
                logger.notice("gap ledger works again", metadata: ["path": "\(path)"])
            }
        } else if health.ledgerFailing.exchange(false, ordering: .relaxed) {
            logger.notice("gap ledger works again", metadata: ["path": "\(path)"])
        }
        if current != nil {
            current!.gaps.append(contentsOf: gaps)
        } else {
            gapsForNextSegment.append(contentsOf: gaps)
        }
    }

    private func ledgerFailed() {
        health.ledgerWriteFailures.add(1, ordering: .relaxed)
        health.ledgerFailing.store(true, ordering: .relaxed)
    }

    /// The first wall-clock multiple of `interval` after `start` (rotation at 00:00, 01:00, …).
    static func boundary(after start: Int64, interval: Duration) -> Int64 {
        let step = max(interval.nanoseconds, 1)
        return (start / step + 1) * step
    }
}
