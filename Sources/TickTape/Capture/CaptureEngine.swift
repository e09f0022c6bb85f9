import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Runs every configured capture: owns the pinned event loops, the merger thread, the
/// connection-attempt budget, and each capture's sessions and writer.
///
/// Start order is writers → merger → sessions, stop order the reverse, so at every moment
/// each stage has somewhere to put what it produces: stopping closes the sockets first, then
/// drains the rings, then flushes and fsyncs the files. ``apply(_:)`` changes a running engine
/// to a new configuration, touching only what differs.
package final class CaptureEngine: Sendable {
    package let plan: ThreadPlan
    package let group: MultiThreadedEventLoopGroup
    package let merger: Merger
    package let budget: ConnectAttemptBudget
    /// Latency histograms, summaries and alarms (nil when `[telemetry] enabled = false`). The
    /// engine registers its captures with it; starting and stopping it is its owner's business
    /// (in the daemon, a service of the same `ServiceGroup`).
    package let telemetry: TelemetryService?
    /// Live order books and latest ticks (nil when no capture keeps books).
    package let books: BookService?
    /// The relay's fan-out thread (nil when `[serve] listen = "off"`).
    package let relay: RelayHub?
    /// The listener: relay, depth REST, JSON API (nil when `[serve] listen = "off"`).
    package let serve: ServeServer?
    /// The sinks' figures, for the status API (the sinks are the daemon's services, not the
    /// engine's; it hands their statistics over with ``attachSinks(_:)``).
    private let sinkFigures = Mutex<[SinkStatistics]>([])
    /// The port the listener bound (0 until started, or when it could not bind).
    package let servePort = Atomic<Int>(0)
    /// The REST snapshots' event loop: never a capture loop.
    private let restGroup: MultiThreadedEventLoopGroup?
    /// Opened when ``start()`` has launched every capture.
    package let started = StartupLatch()
    private let logger: Logger
    private let onSegmentClosed: (@Sendable (ClosedSegment) -> Void)?
    /// Test-only fault switches (nil in production), shared by the merger and every writer.
    let faults: FaultSwitches?
    /// The sinks' unconsumed segments, which every capture's retention keeps (nil: no sink).
    package let retentionHolds: RetentionHolds?
    private let state: Mutex<State>

    private struct State {
        var config: TickTapeConfig
        var captures: [Capture] = []
        var nextLoop = 0
        var started = false
        /// Set by ``stop()``: a reload still running must not add sessions behind its back.
        var stopping = false
        /// Captures whose stop has begun: each is stopped (writer finished) by exactly one of
        /// ``stop()`` and a reload running beside it.
        var stopClaimed: Set<ObjectIdentifier> = []

        /// Whether the caller is the one to stop `capture`.
        mutating func claimStop(of capture: Capture) -> Bool {
            stopClaimed.insert(ObjectIdentifier(capture)).inserted
        }
    }

    /// Builds the engine; nothing runs until ``start()``. `faults` is for tests only.
    package init(
        config: TickTapeConfig,
        logger: Logger,
        onSegmentClosed: (@Sendable (ClosedSegment) -> Void)? = nil,
        faults: FaultSwitches? = nil,
        retentionHolds: RetentionHolds? = nil
    ) throws {
        self.retentionHolds = retentionHolds
        self.logger = logger
        self.onSegmentClosed = onSegmentClosed
        self.faults = faults
        let sessions = config.captures.reduce(0) { $0 + $1.connections }
        self.plan = try ThreadPlan.make(engine: config.engine, sessions: sessions)
        // Each loop pins itself (NIO's `pinnedCPUIDs:` traps when the kernel refuses, e.g. a
        // cpuset that changed under us); a refused pin is logged and counted, capture goes on.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.eventLoopCPUs.count)
        #if os(Linux)
        for (loop, cpu) in zip(group.makeIterator(), plan.eventLoopCPUs) {
            loop.execute { CPUAffinity.pinOrReport(thread: "event loop", cpu: cpu) }
        }
        #endif
        self.group = group
        self.merger = Merger(idle: config.engine.mergerIdle, faults: faults)
        self.budget = ConnectAttemptBudget(limit: config.engine.connectBudget, window: config.engine.connectBudgetWindow)
        self.telemetry = config.telemetry.enabled ? TelemetryService(config: config.telemetry, logger: logger) : nil
        if config.captures.contains(where: BookService.serves) {
            let restGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.restGroup = restGroup
            let symbols = config.captures.flatMap { $0.endpoint.streams + $0.subscribe }
                .map { String($0.prefix { $0 != "@" }) }.filter { !$0.hasPrefix("!") }
            self.books = try BookService(
                config: config, symbols: Array(Set(symbols)).sorted(), eventLoop: restGroup.next(), logger: logger)
        } else {
            self.restGroup = nil
            self.books = nil
        }
        var api: ServeAPI?
        if config.serve.listen != nil {
            let relay = RelayHub(knownStreams: Self.servableStreams(config), books: books, logger: logger)
            self.relay = relay
            if let books {
                let feed = RelayHub.makeFeed()
                books.partialDepthFeed = feed
                relay.add(capture: "books", feed: feed)
            }
            api = ServeAPI(books: books, hub: relay)
            do {
                self.serve = try ServeServer(
                    settings: config.serve, router: ServeRouter(books: books, api: api!), hub: relay, logger: logger)
            } catch {
                try? restGroup?.syncShutdownGracefully()
                try? group.syncShutdownGracefully()
                throw error
            }
        } else {
            self.relay = nil
            self.serve = nil
        }
        self.state = Mutex(State(config: config))
        if let books, let telemetry { telemetry.exportBooks { books.currentFigures } }
        api?.attach(engine: self)
    }

    /// Every stream the relay can serve: what the captures carry, and the partial-depth streams
    /// (`<symbol>@depth<5|10|20>[@100ms|@500ms]`) of every symbol a capture keeps a book of.
    static func servableStreams(_ config: TickTapeConfig) -> Set<String> {
        var names = Set<String>()
        for capture in config.captures {
            let streams = capture.endpoint.streams + capture.subscribe
            names.formUnion(streams)
            guard capture.books.enabled else { continue }
            for stream in streams where stream.contains("@depth") {
                let symbol = stream.prefix { $0 != "@" }
                for levels in [5, 10, 20] {
                    for suffix in ["", "@100ms", "@500ms"] { names.insert("\(symbol)@depth\(levels)\(suffix)") }
                }
            }
        }
        return names
    }

    /// Lets the status API report the sinks' lag, rows and errors.
    package func attachSinks(_ statistics: [SinkStatistics]) {
        sinkFigures.withLock { $0 = statistics }
    }

    /// The sinks' statistics handed over by ``attachSinks(_:)``.
    package var sinkStatistics: [SinkStatistics] { sinkFigures.withLock { $0 } }

    /// The configuration in force.
    package var config: TickTapeConfig { state.withLock { $0.config } }

    /// The running captures.
    package var captures: [Capture] { state.withLock { $0.captures } }

    /// Opens storage and starts every capture.
    ///
    /// Everything that can fail (storage directories, recovery, TLS contexts) is prepared
    /// before any thread starts; if it fails the event loops are shut down too, so a failed
    /// start leaves nothing running.
    package func start() async throws {
        let config = try state.withLock { s -> TickTapeConfig in
            guard !s.started else { throw EngineError.alreadyStarted }
            s.started = true
            return s.config
        }
        let prepared: [PreparedCapture]
        do {
            prepared = try config.captures.map { try prepareCapture($0, config: config) }
        } catch {
            logger.error("start failed; shutting down", metadata: ["reason": "\(error)"])
            try? await group.shutdownGracefully()
            throw error
        }
        logger.info(
            "starting",
            metadata: [
                "version": "\(TickTapeVersion.current)", "event_loop_cpus": "\(plan.eventLoopCPUs)",
                "merger_cpu": "\(plan.mergerCPU.map(String.init) ?? "unpinned")",
                "captures": "\(config.captures.map(\.name))",
            ])
        merger.start(cpu: plan.mergerCPU)
        books?.start()
        relay?.start()
        for capture in prepared { launch(capture) }
        if let serve {
            do {
                servePort.store(try await serve.start(), ordering: .releasing)
            } catch {
                // Capture goes on: a port in use must not cost the data.
                logger.error(
                    "cannot serve: the listener did not start; capture goes on without it",
                    metadata: ["listen": "\(config.serve.listen.map(String.init(describing:)) ?? "off")", "reason": "\(error)"])
            }
        }
        started.open()
    }

    /// Stops everything: sessions, then merger (draining the rings), then writers (flush, fsync, close).
    package func stop() async {
        let captures = state.withLock { s -> [Capture] in
            s.stopping = true
            return s.captures.filter { s.claimStop(of: $0) }
        }
        await serve?.stop()
        await relay?.stop()
        logger.info("stopping: closing connections")
        await withTaskGroup(of: Void.self) { group in
            for session in captures.flatMap(\.sessions) {
                group.addTask { try? await session.stop().get() }
            }
        }
        await books?.stop()
        logger.info("stopping: draining rings")
        await merger.stop()
        logger.info("stopping: flushing files")
        // Each writer closes its segment and its sealer seals what is left, all captures at once.
        await withTaskGroup(of: Void.self) { group in
            for capture in captures { group.addTask { await capture.writer.finish() } }
        }
        try? await group.shutdownGracefully()
        try? await restGroup?.shutdownGracefully()
        DeferredLogDrainer.shared.drainAll()
        logger.info("stopped")
    }

    /// Whether every capture has at least one connection open and delivering.
    package var everyCaptureDelivering: Bool {
        let captures = self.captures
        return !captures.isEmpty && captures.allSatisfy(\.isDelivering)
    }

    // MARK: Reload

    /// Moves the running engine to `new`, changing only what differs, and reports what it did.
    ///
    /// Live: captures added or removed; connection counts (sessions added, or the highest
    /// indices drained); timeouts, staleness, backoff, late policy; storage rotation, fsync and
    /// flush settings; the connection budget. A capture whose URL, `subscribe` list or CA file
    /// changed is replaced (stopped, drained, restarted). Not live (kept as they were, and
    /// reported): `data_dir`, CPU plan, merger idle strategy, ring capacity.
    package func apply(_ new: TickTapeConfig) async throws -> ReloadReport {
        guard !state.withLock({ $0.stopping }) else { throw EngineError.stopping }
        var report = ReloadReport()
        let old = config
        if new.dataDirectory != old.dataDirectory {
            report.notApplied.append("data_dir (\(old.dataDirectory) → \(new.dataDirectory)) needs a restart")
        }
        if new.engine.eventLoopCPUs != old.engine.eventLoopCPUs || new.engine.mergerCPU != old.engine.mergerCPU {
            report.notApplied.append("event_loop_cpus/merger_cpu need a restart")
        }
        if new.engine.mergerIdle != old.engine.mergerIdle { report.notApplied.append("merger_idle needs a restart") }
        if new.engine.ringCapacity != old.engine.ringCapacity { report.notApplied.append("ring_capacity needs a restart") }
        if new.telemetry != old.telemetry { report.notApplied.append("[telemetry] needs a restart") }
        if new.sinks != old.sinks { report.notApplied.append("[[sink]] changes need a restart") }
        if new.engine.connectBudget != old.engine.connectBudget
            || new.engine.connectBudgetWindow != old.engine.connectBudgetWindow
        {
            budget.update(limit: new.engine.connectBudget, window: new.engine.connectBudgetWindow)
            report.applied.append("connection budget")
        }
        // What actually runs: the new file, except for the parts that cannot change live.
        var effective = new
        effective.dataDirectory = old.dataDirectory
        effective.engine.eventLoopCPUs = old.engine.eventLoopCPUs
        effective.engine.mergerCPU = old.engine.mergerCPU
        effective.engine.mergerIdle = old.engine.mergerIdle
        effective.engine.ringCapacity = old.engine.ringCapacity
        effective.telemetry = old.telemetry
        if new.serve != old.serve {
            logger.warning("[serve] changes take effect at the next restart")
        }
        effective.serve = old.serve
        effective.sinks = old.sinks

        let running = captures
        let newNames = Set(new.captures.map(\.name))
        for capture in running where !newNames.contains(capture.config.name) {
            await stopCapture(capture)
            report.applied.append("removed capture \(capture.config.name)")
        }
        for c in new.captures {
            guard let capture = running.first(where: { $0.config.name == c.name }) else {
                try startCapture(c, config: effective)
                report.applied.append("added capture \(c.name)")
                continue
            }
            let was = capture.config
            if was.endpoint != c.endpoint || was.subscribe != c.subscribe || was.caFile != c.caFile {
                await stopCapture(capture)
                try startCapture(c, config: effective)
                report.applied.append("restarted capture \(c.name) (url, subscribe or ca_file changed)")
                continue
            }
            if new.storage != old.storage { capture.writer.update(storage: new.storage) }
            if was.latePolicy != c.latePolicy || was.holeWait != c.holeWait || was.streamStaleAfter != c.streamStaleAfter
                || new.storage.flushInterval != old.storage.flushInterval
            {
                capture.merger.update(
                    latePolicy: c.latePolicy, holeWait: c.holeWait, flushInterval: new.storage.flushInterval,
                    streamWatch: .init(c))
            }
            capture.setConfig(c)
            for session in capture.sessions { session.update(c) }
            if c.connections > was.connections {
                for _ in was.connections..<c.connections { addSession(to: capture, config: c) }
                report.applied.append("capture \(c.name): \(was.connections) → \(c.connections) connections")
            } else if c.connections < was.connections {
                for _ in c.connections..<was.connections {
                    guard let session = capture.removeLastSession() else { break }
                    try? await session.stop().get()
                    await merger.detach(ring: session.ring, from: capture.merger)
                }
                report.applied.append("capture \(c.name): \(was.connections) → \(c.connections) connections")
            }
            if was != c, c.connections == was.connections { report.applied.append("capture \(c.name) settings") }
        }
        if new.storage != old.storage { report.applied.append("storage settings") }
        state.withLock { $0.config = effective }
        return report
    }

    // MARK: Building captures

    private func startCapture(_ c: CaptureConfig, config: TickTapeConfig) throws {
        launch(try prepareCapture(c, config: config))
    }

    /// A capture built but not running: its writer exists, nothing has started.
    private struct PreparedCapture {
        var capture: Capture
        var connections: Int
    }

    /// The part of starting a capture that can fail; starts no thread.
    private func prepareCapture(_ c: CaptureConfig, config: TickTapeConfig) throws -> PreparedCapture {
        var captureLogger = logger
        captureLogger[metadataKey: "capture"] = "\(c.name)"
        let writer = try SegmentWriter(
            capture: c.name, dataDirectory: config.dataDirectory, storage: config.storage, logger: captureLogger,
            sealing: SealIdentity(config: config), onSegmentClosed: onSegmentClosed, faults: faults,
            holds: retentionHolds)
        let tls = try Capture.makeTLSContext(for: c)
        let recorder = telemetry?.register(
            capture: c.name, connections: c.connections, ringCapacity: config.engine.ringCapacity,
            dataDirectory: config.dataDirectory, storage: writer.health)
        let merge = CaptureMerger(
            name: c.name, rings: [], connections: [], writer: writer, latePolicy: c.latePolicy,
            holeWait: c.holeWait, flushInterval: config.storage.flushInterval, logger: captureLogger, telemetry: recorder,
            streamWatch: .init(c))
        if let books, BookService.serves(c) {
            let feed = BookService.makeFeed()
            merge.consumers.append(feed)
            books.add(c, directory: "\(config.dataDirectory)/\(c.name)", feed: feed, merger: merge, writer: writer)
        } else if BookService.serves(c) {
            logger.warning(
                "books and bars for a capture added by a reload start with the next restart", metadata: ["capture": "\(c.name)"])
        }
        if let relay {
            let feed = RelayHub.makeFeed()
            merge.consumers.append(feed)
            relay.add(capture: c.name, feed: feed)
        }
        let capture = Capture(config: c, sessions: [], merger: merge, writer: writer, tls: tls)
        return PreparedCapture(capture: capture, connections: c.connections)
    }

    private func launch(_ prepared: PreparedCapture) {
        let capture = prepared.capture
        let added = state.withLock { s -> Bool in
            guard !s.stopping else { return false }
            s.captures.append(capture)
            return true
        }
        guard added else {
            if let recorder = capture.merger.telemetry { telemetry?.unregister(recorder) }
            return
        }
        capture.writer.start()
        merger.add(capture.merger)
        for _ in 0..<prepared.connections { addSession(to: capture, config: capture.config) }
    }

    private func addSession(to capture: Capture, config c: CaptureConfig) {
        let slot = state.withLock { s -> (Int, any EventLoop, Int)? in
            guard !s.stopping else { return nil }
            let loops = Array(group.makeIterator())
            let loop = loops[s.nextLoop % loops.count]
            s.nextLoop += 1
            return (capture.sessions.count, loop, s.config.engine.ringCapacity)
        }
        guard let (index, loop, ringCapacity) = slot else { return }
        let ring = SPSCRing<InboundFrame>(capacity: ringCapacity)
        let stats = ConnectionStatistics(index: index)
        let control = ConnectionControl()
        let session = WebSocketSession(
            capture: c, index: index, eventLoop: loop, ring: ring, statistics: stats, control: control,
            pingInterval: telemetry?.config.pingInterval, tls: capture.tls, budget: budget,
            rotationGate: capture.rotationGate, logger: logger)
        merger.attach(ring: ring, statistics: stats, control: control, to: capture.merger)
        capture.appendSession(session)
        session.start()
    }

    private func stopCapture(_ capture: Capture) async {
        guard state.withLock({ $0.claimStop(of: capture) }) else { return }
        for session in capture.sessions { try? await session.stop().get() }
        books?.remove(capture: capture.config.name)
        await merger.remove(capture.merger)
        if let recorder = capture.merger.telemetry { telemetry?.unregister(recorder) }
        await capture.writer.finish()
        state.withLock { $0.captures.removeAll { $0 === capture } }
    }

    // MARK: Status

    /// One line per capture for logs and systemd's STATUS: connections up, totals, alarms.
    package func statusSummary() -> String {
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
            let silent = st.silentStreams.load(ordering: .relaxed)
            if silent > 0 { parts.append("\(silent) STREAM\(silent == 1 ? "" : "S") SILENT") }
            parts += capture.writer.health.statusAlarms
            let drops = st.storageDrops.load(ordering: .relaxed)
            if drops > 0 { parts.append("\(drops) lines lost to storage") }
            return parts.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    /// Liveness for the watchdog: the merger's heartbeat moved since `previousHeartbeat` and
    /// every event loop ran a no-op task within `timeout`.
    package func probeLiveness(previousHeartbeat: Int, timeout: Duration) async -> Liveness {
        let heartbeat = merger.heartbeat.load(ordering: .relaxed)
        let loopsAnswered = await Self.loopsAnswer(group, within: timeout)
        return Liveness(heartbeat: heartbeat, mergerProgressed: heartbeat != previousHeartbeat, loopsAnswered: loopsAnswered)
    }

    /// Whether every loop of `group` runs a no-op task within `timeout` (all asked at once).
    static func loopsAnswer(_ group: any EventLoopGroup, within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { g in
            for loop in group.makeIterator() {
                g.addTask { await answers(loop, within: timeout) }
            }
            return await g.allSatisfy { $0 }
        }
    }

    /// Whether `loop` runs a no-op task within `timeout`.
    ///
    /// A hung loop never runs the task, and awaiting its future would wait as long (an
    /// `EventLoopFuture` ignores task cancellation), so the answer and a timer race to resume one
    /// continuation; whichever is second finds it already resumed. The timer is a task sleeping
    /// on the cooperative pool, not on the loop being probed.
    static func answers(_ loop: any EventLoop, within timeout: Duration) async -> Bool {
        let resumed = ResumedFlag()
        var timer: Task<Void, Never>?
        let answered = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resumeOnce: @Sendable (Bool) -> Void = { value in
                if resumed.claim() { continuation.resume(returning: value) }
            }
            loop.execute { resumeOnce(true) }
            timer = Task {
                try? await Task.sleep(for: timeout)
                resumeOnce(false)
            }
        }
        timer?.cancel()
        return answered
    }
}

/// Set once by whichever of a probe's answer and timer comes first.
private final class ResumedFlag: Sendable {
    private let done = Mutex(false)
    /// True for the first caller only.
    func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
}

/// The answer of ``CaptureEngine/probeLiveness(previousHeartbeat:timeout:)``.
package struct Liveness: Sendable, Equatable {
    package var heartbeat: Int
    package var mergerProgressed: Bool
    package var loopsAnswered: Bool
    package var isAlive: Bool { mergerProgressed && loopsAnswered }
}

/// What a reload changed, and what it could not change without a restart.
package struct ReloadReport: Sendable, Equatable {
    package var applied: [String] = []
    package var notApplied: [String] = []

    package var summary: String {
        var parts: [String] = []
        parts.append(applied.isEmpty ? "no changes" : applied.joined(separator: ", "))
        if !notApplied.isEmpty { parts.append("not applied: " + notApplied.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }
}

/// Misuse of the engine's lifecycle.
package enum EngineError: Error, CustomStringConvertible {
    case alreadyStarted
    case stopping
    package var description: String {
        switch self {
        case .alreadyStarted: "the engine was already started"
        case .stopping: "the engine is stopping"
        }
    }
}
