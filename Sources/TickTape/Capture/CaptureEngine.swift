import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Runs every configured capture: owns the pinned event loops, the merger thread, the
/// connection-attempt budget, and each capture's sessions and writer.
///
/// Start order is writers → merger → sessions, stop order the reverse, so at every moment
/// each stage has somewhere to put what it produces: stopping closes the sockets first, then
/// drains the rings, then flushes and fsyncs the files.
public final class CaptureEngine: @unchecked Sendable {
    public private(set) var config: TickTapeConfig
    public let plan: ThreadPlan
    public let group: MultiThreadedEventLoopGroup
    public let merger: Merger
    public let budget: ConnectAttemptBudget
    private let logger: Logger
    private let onSegmentClosed: (@Sendable (ClosedSegment) -> Void)?
    private let state = Mutex<[Capture]>([])
    private var nextLoop = 0
    private var started = false

    /// Builds the engine; nothing runs until ``start()``.
    public init(
        config: TickTapeConfig,
        logger: Logger,
        onSegmentClosed: (@Sendable (ClosedSegment) -> Void)? = nil
    ) throws {
        self.config = config
        self.logger = logger
        self.onSegmentClosed = onSegmentClosed
        let sessions = config.captures.reduce(0) { $0 + $1.connections }
        self.plan = try ThreadPlan.make(engine: config.engine, sessions: sessions)
        #if os(Linux)
        self.group = MultiThreadedEventLoopGroup(pinnedCPUIDs: plan.eventLoopCPUs)
        #else
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: plan.eventLoopCPUs.count)
        #endif
        self.merger = Merger(idle: config.engine.mergerIdle)
        self.budget = ConnectAttemptBudget(limit: config.engine.connectBudget, window: config.engine.connectBudgetWindow)
    }

    /// The running captures.
    public var captures: [Capture] { state.withLock { $0 } }

    /// Opens storage and starts every capture.
    public func start() throws {
        precondition(!started, "start() called twice")
        started = true
        logger.info(
            "starting",
            metadata: [
                "version": "\(TickTapeVersion.current)", "event_loop_cpus": "\(plan.eventLoopCPUs)",
                "merger_cpu": "\(plan.mergerCPU.map(String.init) ?? "unpinned")",
                "captures": "\(config.captures.map(\.name))",
            ])
        merger.start(cpu: plan.mergerCPU)
        for captureConfig in config.captures {
            let capture = try makeCapture(captureConfig)
            state.withLock { $0.append(capture) }
            capture.writer.start()
            merger.add(capture.merger)
            for session in capture.sessions { session.start() }
        }
    }

    /// Stops everything: sessions, then merger (draining the rings), then writers (flush, fsync, close).
    public func stop() async {
        let captures = state.withLock { $0 }
        logger.info("stopping: closing connections")
        for capture in captures {
            for session in capture.sessions {
                try? await session.stop().get()
            }
        }
        logger.info("stopping: draining rings")
        merger.stop()
        logger.info("stopping: flushing files")
        for capture in captures { capture.writer.finish() }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func makeCapture(_ c: CaptureConfig) throws -> Capture {
        var captureLogger = logger
        captureLogger[metadataKey: "capture"] = "\(c.name)"
        let writer = try SegmentWriter(
            capture: c.name, dataDirectory: config.dataDirectory, storage: config.storage, logger: captureLogger,
            onSegmentClosed: onSegmentClosed)
        let tls = try Capture.makeTLSContext(for: c)
        var rings: [SPSCRing<InboundFrame>] = []
        var stats: [ConnectionStatistics] = []
        var sessions: [WebSocketSession] = []
        let loops = Array(group.makeIterator())
        for k in 0..<c.connections {
            let ring = SPSCRing<InboundFrame>(capacity: config.engine.ringCapacity)
            let s = ConnectionStatistics(index: k)
            let loop = loops[nextLoop % loops.count]
            nextLoop += 1
            rings.append(ring)
            stats.append(s)
            sessions.append(
                WebSocketSession(
                    capture: c, index: k, eventLoop: loop, ring: ring, statistics: s, tls: tls, budget: budget,
                    logger: logger))
        }
        let merge = CaptureMerger(
            name: c.name, rings: rings, connections: stats, writer: writer, latePolicy: c.latePolicy,
            flushInterval: config.storage.flushInterval, logger: captureLogger)
        return Capture(config: c, sessions: sessions, merger: merge, writer: writer)
    }

    /// One line per capture for logs and systemd's STATUS: connections up, totals, alarms.
    public func statusSummary() -> String {
        captures.map { capture in
            let st = capture.merger.statistics
            var parts = [
                "\(capture.config.name): \(capture.connectionsUp)/\(capture.sessions.count) up",
                "\(st.emitted.load(ordering: .relaxed)) msgs",
            ]
            let late = st.lateMessages.load(ordering: .relaxed)
            if late > 0 { parts.append("\(late) late") }
            let gaps = st.gaps.load(ordering: .relaxed)
            if gaps > 0 { parts.append("\(gaps) gaps") }
            if capture.writer.failing.load(ordering: .relaxed) { parts.append("STORAGE FAILING") }
            let drops = st.storageDrops.load(ordering: .relaxed)
            if drops > 0 { parts.append("\(drops) lines lost to storage") }
            return parts.joined(separator: ", ")
        }.joined(separator: "; ")
    }
}
