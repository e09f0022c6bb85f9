import Logging
import ServiceLifecycle
import Synchronization
import TickTape
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The daemon around the engine: one `ServiceGroup` running the metrics endpoint, telemetry,
/// the engine and the supervision (systemd readiness, status, liveness-gated watchdog, SIGHUP
/// reload, SIGTERM/SIGINT drain) in a defined start and shutdown order (``services(signals:started:)``).
///
/// Everything here is supervision; the data path lives in ``CaptureEngine``.
package final class Daemon: Sendable {
    private let configPath: String
    private let engine: CaptureEngine
    private let notifier: SystemdNotifier
    private let logLevel: LogLevelControl
    private let logger: Logger
    private let faults: FaultSwitches?
    private let state: Mutex<State>
    /// The `[[sink]]`s (none configured: an empty service that does nothing).
    private let sinks: SinkService

    private struct State {
        var config: TickTapeConfig
        var reloadProblem: String?
        var degraded = false
        var lastEmitted = 0
        var lastStatusAt = ContinuousClock.now
        var rate = 0.0
    }

    /// Builds the engine from an already validated configuration (nothing runs yet).
    /// `faults` arms test-only fault switches (``FaultSwitches/fromEnvironment(logger:)``).
    package init(
        config: TickTapeConfig, configPath: String, logLevel: LogLevelControl, logger: Logger,
        faults: FaultSwitches? = nil
    ) throws {
        self.configPath = configPath
        self.logLevel = logLevel
        self.logger = logger
        self.notifier = SystemdNotifier()
        self.faults = faults
        // The sinks read their cursors and set their retention holds before the engine exists,
        // so no retention pass can delete what a sink has not loaded.
        let holds = config.sinks.isEmpty ? nil : RetentionHolds()
        self.sinks = try SinkService(config: config, holds: holds, logger: logger)
        self.engine = try CaptureEngine(config: config, logger: logger, faults: faults, retentionHolds: holds)
        if let telemetry = engine.telemetry, !sinks.runners.isEmpty { telemetry.exportSinks(sinks.statistics) }
        engine.attachSinks(sinks.statistics)
        self.state = Mutex(State(config: config))
    }

    /// Runs until SIGTERM/SIGINT; returns after a clean drain. Pass the process's signal
    /// sequence if it was created earlier (it should be: a signal that arrives before the
    /// handlers exist would kill the process instead of draining it).
    package func run(signals: UnixSignalsSequence? = nil) async throws {
        let started = ContinuousClock.now
        let signals = if let signals { signals } else { await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) }
        let group = ServiceGroup(configuration: services(signals: signals, started: started))
        try await group.run()
    }

    /// The daemon's services in start order; the group stops them in the reverse order, each
    /// after the one behind it has returned:
    ///
    /// 1. the metrics endpoint (if `[telemetry] listen`): up first, down last, so a scrape sees
    ///    the whole drain;
    /// 2. telemetry's reporter: its last pass follows the drain;
    /// 3. the capture engine, started once 1 and 2 are up; its shutdown seals every segment;
    /// 4. the supervision (readiness, status, watchdog, signals): it returns on SIGTERM/SIGINT,
    ///    which shuts the group down gracefully, and is the first to stop, so no watchdog ping
    ///    or status line claims health during the drain.
    ///
    /// A future service (an HTTP server, a sink) is one more entry: before the engine if the
    /// capture needs it up first and it must outlive the drain, after it if it consumes the
    /// engine and must stop before it. The group has no signals of its own: `signals` exists
    /// from the first line of `main` (the group's handlers would come too late), and one handler
    /// per signal is all a process can have.
    func services(signals: UnixSignalsSequence, started: ContinuousClock.Instant) -> ServiceGroupConfiguration {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var engineAfter: [StartupLatch] = []
        if let telemetry = engine.telemetry {
            if let listen = telemetry.config.listen {
                let endpoint = MetricsEndpoint(listen: listen, logger: logger) { telemetry.renderMetrics() }
                services.append(.init(service: endpoint, serviceName: "metrics-endpoint"))
                engineAfter.append(endpoint.up)
            }
            services.append(.init(service: telemetry, serviceName: "telemetry"))
            engineAfter.append(telemetry.started)
        }
        services.append(.init(service: StartsAfter(engineAfter, engine), serviceName: "capture-engine"))
        // Sinks read the files the engine writes and never hold it up: after it in the list,
        // so they stop first and the engine's drain waits for nothing of theirs.
        if !sinks.runners.isEmpty { services.append(.init(service: sinks, serviceName: "sinks")) }
        services.append(
            .init(
                service: DaemonSupervision(daemon: self, signals: signals, started: started),
                successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "supervision"))
        return ServiceGroupConfiguration(services: services, logger: logger)
    }

    /// The supervision service's body: waits for the engine to start, then reports readiness,
    /// status and watchdog pings and serves signals until a stop signal or the group's
    /// shutdown.
    func supervise(signals: UnixSignalsSequence, started: ContinuousClock.Instant) async {
        await engine.started.wait()
        if Task.isCancelled { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reportReadiness(started: started) }
            group.addTask { await self.statusLoop() }
            if let timeout = notifier.watchdogTimeout {
                group.addTask { await self.watchdogLoop(timeout: timeout) }
            }
            if let faults, let trigger = faults.mergerHangTrigger {
                group.addTask { await self.watchHangTrigger(path: trigger, faults: faults) }
            }
            let signal = await cancelWhenGracefulShutdown {
                await SignalLoop.serve(signals.map(\.rawValue)) { await self.reload() }
            }
            if let signal {
                logger.notice("shutting down", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
            }
            notifier.stopping()
            group.cancelAll()
        }
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
    package func statusLine() -> String {
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
        if let sinkStatus = sinks.statusSummary() { parts.append(sinkStatus) }
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

    /// Test-only (systemd's watchdog test): hangs the merger when `path` appears.
    private func watchHangTrigger(path: String, faults: FaultSwitches) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            if access(path, F_OK) == 0 {
                unlink(path)
                logger.critical("TEST FAULT: hanging the merger on request", metadata: ["trigger": "\(path)"])
                faults.hangMerger.store(true, ordering: .relaxed)
            }
        }
    }

    // MARK: Reload

    /// Re-reads and validates the file. Invalid: log the exact error, keep running unchanged,
    /// say so in STATUS. Valid: apply the difference live.
    package func reload() async {
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
