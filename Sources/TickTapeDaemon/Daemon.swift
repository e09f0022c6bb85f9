import Logging
import Synchronization
import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// The daemon around the engine: systemd readiness, status, liveness-gated watchdog,
/// SIGHUP reload and SIGTERM drain.
///
/// Everything here is supervision; the data path lives in ``CaptureEngine``.
public final class Daemon: Sendable {
    private let configPath: String
    private let engine: CaptureEngine
    private let notifier: SystemdNotifier
    private let logLevel: LogLevelControl
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var config: TickTapeConfig
        var reloadProblem: String?
        var degraded = false
        var lastEmitted = 0
        var lastStatusAt = ContinuousClock.now
        var rate = 0.0
    }

    /// Builds the engine from an already validated configuration (nothing runs yet).
    public init(config: TickTapeConfig, configPath: String, logLevel: LogLevelControl, logger: Logger) throws {
        self.configPath = configPath
        self.logLevel = logLevel
        self.logger = logger
        self.notifier = SystemdNotifier()
        self.engine = try CaptureEngine(config: config, logger: logger)
        self.state = Mutex(State(config: config))
    }

    /// Runs until SIGTERM/SIGINT; returns after a clean drain. Pass the process's
    /// ``SignalStream`` if it was created earlier (it should be: a signal that arrives before
    /// the handlers exist would kill the process instead of draining it).
    public func run(signals: SignalStream? = nil) async throws {
        let started = ContinuousClock.now
        let signals = signals ?? SignalStream(signals: [SIGTERM, SIGINT, SIGHUP])
        try await engine.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reportReadiness(started: started) }
            group.addTask { await self.statusLoop() }
            if let timeout = notifier.watchdogTimeout {
                group.addTask { await self.watchdogLoop(timeout: timeout) }
            }
            if let trigger = getenv("TICKTAPE_TESTING_HANG_MERGER_TRIGGER").map({ String(cString: $0) }) {
                logger.warning(
                    "TEST FAULT SWITCH ARMED: the merger will hang when this file appears",
                    metadata: ["trigger": "\(trigger)"])
                group.addTask { await self.watchHangTrigger(path: trigger) }
            }
            if let signal = await SignalLoop.serve(signals, reload: { await self.reload() }) {
                logger.notice("shutting down", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
            }
            notifier.stopping()
            group.cancelAll()
        }
        await engine.stop()
    }

    // MARK: Readiness

    private func reportReadiness(started: ContinuousClock.Instant) async {
        let timeout = state.withLock { $0.config.daemon.readyTimeout }
        let deadline = started + timeout
        while !engine.everyCaptureDelivering && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if Task.isCancelled { return }
        let elapsed = ContinuousClock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        if engine.everyCaptureDelivering {
            logger.notice("ready: every capture has a connection delivering", metadata: ["startup_ms": "\(ms)"])
            notifier.ready(status: statusLine())
        } else {
            state.withLock { $0.degraded = true }
            let waiting = engine.captures.filter { !$0.isDelivering }.map(\.config.name)
            logger.error(
                "ready but DEGRADED: no connection delivering yet",
                metadata: ["captures": "\(waiting)", "ready_timeout": "\(HumanDuration.format(timeout))"])
            notifier.ready(status: statusLine())
        }
    }

    // MARK: Status

    private func statusLoop() async {
        while !Task.isCancelled {
            let interval = state.withLock { $0.config.daemon.statusInterval }
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let line = statusLine()
            notifier.status(line)
            logger.info("status", metadata: ["status": "\(line)"])
            ProcessMemory.trim()
        }
    }

    /// The one-line summary for `systemctl status`: connections up per capture, merged msg/s,
    /// totals, and alarms (degraded start, failed reload, storage).
    public func statusLine() -> String {
        let emitted = engine.captures.reduce(0) { $0 + $1.merger.statistics.emitted.load(ordering: .relaxed) }
        let (rate, degraded, problem) = state.withLock { s -> (Double, Bool, String?) in
            let now = ContinuousClock.now
            let dt = now - s.lastStatusAt
            let seconds = Double(dt.components.seconds) + Double(dt.components.attoseconds) / 1e18
            if seconds >= 0.5 {
                s.rate = Double(emitted - s.lastEmitted) / seconds
                s.lastEmitted = emitted
                s.lastStatusAt = now
            }
            if s.degraded && engine.everyCaptureDelivering { s.degraded = false }
            return (s.rate, s.degraded, s.reloadProblem)
        }
        var parts: [String] = []
        if degraded { parts.append("DEGRADED (not every capture delivering)") }
        if let problem { parts.append("RELOAD FAILED, running previous config: \(problem)") }
        parts.append("\(Int(rate.rounded())) msg/s")
        parts.append(engine.statusSummary())
        if let latency = Self.latencySummary(engine.telemetry?.snapshots ?? [:]) { parts.append(latency) }
        return parts.joined(separator: " | ")
    }

    /// `latency p99 btcusdt-book +3.1ms (E)`: each capture's merged p99 against the exchange's
    /// event time over the last telemetry window, signed (negative: host clock behind Binance's).
    static func latencySummary(_ snapshots: [String: CaptureTelemetrySnapshot]) -> String? {
        let items = snapshots.keys.sorted().compactMap { name -> String? in
            guard let p99 = snapshots[name]?.mergedEvent.window.p99 else { return nil }
            let ms = (Double(p99) / 100).rounded() / 10
            return "\(name) \(ms >= 0 ? "+" : "")\(ms)ms"
        }
        return items.isEmpty ? nil : "latency p99 (E) " + items.joined(separator: ", ")
    }

    // MARK: Watchdog

    /// Pings systemd at half the watchdog timeout, but only while the merger makes progress and
    /// every event loop answers: a hung pipeline stops the pings and systemd restarts us. An
    /// unreachable exchange is not a hang; reconnecting is the sessions' job.
    private func watchdogLoop(timeout: Duration) async {
        let period = timeout / 2
        var previous = engine.merger.heartbeat.load(ordering: .relaxed) - 1
        var reportedHang = false
        while !Task.isCancelled {
            let liveness = await engine.probeLiveness(previousHeartbeat: previous, timeout: period / 2)
            previous = liveness.heartbeat
            if liveness.isAlive {
                notifier.watchdog()
                if reportedHang {
                    logger.notice("pipeline alive again; watchdog pings resumed")
                    reportedHang = false
                }
            } else if !reportedHang {
                reportedHang = true
                logger.critical(
                    "pipeline not making progress; withholding watchdog pings",
                    metadata: ["merger_progressed": "\(liveness.mergerProgressed)", "loops_answered": "\(liveness.loopsAnswered)"])
            }
            try? await Task.sleep(for: period)
        }
    }

    private func watchHangTrigger(path: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            if access(path, F_OK) == 0 {
                unlink(path)
                logger.critical("TEST FAULT: hanging the merger on request", metadata: ["trigger": "\(path)"])
                engine.merger.testingHang.store(true, ordering: .relaxed)
            }
        }
    }

    // MARK: Reload

    /// Re-reads and validates the file. Invalid: log the exact error, keep running unchanged,
    /// say so in STATUS. Valid: apply the difference live.
    public func reload() async {
        notifier.reloading()
        logger.notice("reloading configuration", metadata: ["path": "\(configPath)"])
        let new: TickTapeConfig
        do {
            new = try TickTapeConfig.load(path: configPath)
        } catch {
            logger.error(
                "reload rejected, still running the previous configuration: \(error)", metadata: ["reason": "\(error)"])
            state.withLock { $0.reloadProblem = "\(error)" }
            notifier.ready(status: statusLine())
            return
        }
        do {
            let report = try await engine.apply(new)
            logLevel.set(new.logLevel)
            state.withLock {
                $0.config = new
                $0.reloadProblem = nil
            }
            for item in report.notApplied {
                logger.warning("setting not applied live; restart to apply it", metadata: ["setting": "\(item)"])
            }
            logger.notice("configuration reloaded", metadata: ["changes": "\(report.summary)"])
        } catch {
            logger.error("reload partly failed", metadata: ["reason": "\(error)"])
            state.withLock { $0.reloadProblem = "\(error)" }
        }
        notifier.ready(status: statusLine())
    }
}
