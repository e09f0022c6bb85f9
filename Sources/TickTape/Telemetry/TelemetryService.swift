#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import Synchronization

/// Everything telemetry does off the hot path, for all captures of an engine: the reporter
/// thread that summarises closed windows, the summary log, the alarms, the Prometheus
/// exposition (served by ``MetricsEndpoint``) and the latest snapshots the daemon's status
/// line reads.
///
/// The merger only records (``CaptureTelemetry``); quantiles, cumulative histograms and
/// logging happen here, on a thread of their own (never the pinned capture loops).
///
/// In the daemon it is a `Service` of the `ServiceGroup`, after the metrics endpoint and before
/// the engine: it stops after the engine has drained, so its last pass includes the drain.
package final class TelemetryService: Service, Sendable {
    package let config: TelemetryConfig
    private let logger: Logger
    private let exporter: PrometheusExporter
    private let state = Mutex<State>(State())
    private let running = Atomic<Bool>(false)
    private let thread = Mutex<PinnedThread?>(nil)
    /// Opened once the reporter runs: the daemon starts the engine after it.
    package let started = StartupLatch()

    private struct State {
        var captures: [CaptureTelemetry] = []
        var snapshots: [String: CaptureTelemetrySnapshot] = [:]
        var storage: [String: StorageHealth] = [:]
    }

    package init(config: TelemetryConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        self.exporter = PrometheusExporter()
    }

    // MARK: Captures

    /// Creates the recorder for a capture and starts reporting on it; `storage` is exported
    /// with it (read at each scrape).
    func register(
        capture name: String, connections: Int, ringCapacity: Int, dataDirectory: String,
        storage: StorageHealth? = nil
    ) -> CaptureTelemetry {
        var arrivals: ArrivalsSidecar?
        if config.arrivals {
            do {
                arrivals = try ArrivalsSidecar(
                    capture: name, directory: "\(dataDirectory)/\(name)", connections: connections, logger: logger)
            } catch {
                logger.error(
                    "cannot open the arrivals file; continuing without it",
                    metadata: ["capture": "\(name)", "error": "\(error)"])
            }
        }
        let telemetry = CaptureTelemetry(
            name: name, interval: config.interval, ringCapacity: ringCapacity, arrivals: arrivals)
        telemetry.accumulator.summaryLog = TelemetrySummaryLog(
            interval: config.logInterval, summaries: config.logSummaries)
        state.withLock {
            $0.captures.append(telemetry)
            $0.storage[name] = storage
        }
        return telemetry
    }

    /// Stops reporting on a capture (after its merger has released it).
    func unregister(_ telemetry: CaptureTelemetry) {
        state.withLock {
            $0.captures.removeAll { $0 === telemetry }
            $0.snapshots[telemetry.name] = nil
            $0.storage[telemetry.name] = nil
        }
        telemetry.arrivals?.close()
        exporter.remove(capture: telemetry.name)
    }

    // MARK: Lifecycle

    /// Starts the reporter thread. The metrics endpoint is a service of its own
    /// (``MetricsEndpoint``), rendering ``renderMetrics()``.
    package func start() {
        running.store(true, ordering: .relaxed)
        #if canImport(Glibc)
        let reporter = PinnedThread.start(name: "tt-telemetry", cpu: nil) { [self] in run() }
        thread.withLock { $0 = reporter }
        #endif
        started.open()
    }

    /// Stops the reporter (after a last pass) and closes arrivals files. The caller suspends
    /// until the reporter thread has returned; no pool thread is blocked.
    package func stop() async {
        running.store(false, ordering: .relaxed)
        let t = thread.withLock { t -> PinnedThread? in
            defer { t = nil }
            return t
        }
        await t?.joined()
        let captures = state.withLock { $0.captures }
        for c in captures { c.arrivals?.close() }
    }

    /// Reports until the group shuts down (or cancels), then makes its last pass and stops.
    package func run() async throws {
        start()
        try? await gracefulShutdown()
        await stop()
    }

    // MARK: Reading

    /// The latest snapshot of every capture, by name.
    package var snapshots: [String: CaptureTelemetrySnapshot] { state.withLock { $0.snapshots } }

    /// The book thread's figures at each scrape (set by the engine when it keeps books).
    private let bookFigures = Mutex<(@Sendable () -> BookService.Figures)?>(nil)

    /// Exports `figures()` (read at every scrape) as the `ticktape_books_*` counters.
    package func exportBooks(_ figures: @escaping @Sendable () -> BookService.Figures) {
        bookFigures.withLock { $0 = figures }
    }

    /// The sinks' figures, read at every scrape (set by the daemon when it runs sinks).
    private let sinkFigures = Mutex<[SinkStatistics]>([])

    /// Exports `statistics` as the `ticktape_sink_*` series.
    package func exportSinks(_ statistics: [SinkStatistics]) {
        sinkFigures.withLock { $0 = statistics }
    }

    /// The Prometheus text exposition of everything known now.
    package func renderMetrics() -> [UInt8] {
        let (snapshots, storage) = state.withLock { ($0.snapshots, $0.storage) }
        return exporter.render(
            snapshots: Array(snapshots.values), storage: storage.mapValues(\.snapshot), clock: ClockSyncState.sample(),
            books: bookFigures.withLock { $0 }?(), sinks: sinkFigures.withLock { $0 })
    }

    // MARK: Reporter thread

    private func run() {
        let pause = max(min(config.interval.nanoseconds / 4, 100_000_000), 5_000_000)
        while running.load(ordering: .relaxed) {
            reportOnce()
            var ts = timespec(tv_sec: 0, tv_nsec: Int(pause))
            nanosleep(&ts, nil)
        }
        reportOnce()
        for capture in state.withLock({ $0.captures }) { capture.accumulator.summaryLog.finish(to: logger) }
    }

    /// Summarises every closed window waiting; returns how many there were.
    @discardableResult
    func reportOnce() -> Int {
        let captures = state.withLock { $0.captures }
        var done = 0
        for capture in captures {
            capture.arrivals?.writePending()
            let now = WallClock.realtimeNanos()
            guard
                let (snapshot, raised, cleared) = capture.exchange.consume({
                    capture.accumulator.absorb($0, config: config, wallNow: now)
                })
            else { continue }
            done += 1
            state.withLock { if $0.captures.contains(where: { $0 === capture }) { $0.snapshots[capture.name] = snapshot } }
            capture.accumulator.summaryLog.observe(snapshot, now: WallClock.monotonicNanos(), to: logger)
            for alarm in raised {
                logger.warning(
                    "telemetry alarm raised",
                    metadata: [
                        "capture": "\(capture.name)", "connection": "\(alarm.connection.map(String.init) ?? "merged")",
                        "alarm": "\(alarm.kind.rawValue)", "detail": "\(alarm.detail)",
                    ])
            }
            for alarm in cleared {
                logger.notice(
                    "telemetry alarm cleared",
                    metadata: [
                        "capture": "\(capture.name)", "connection": "\(alarm.connection.map(String.init) ?? "merged")",
                        "alarm": "\(alarm.kind.rawValue)",
                    ])
            }
        }
        return done
    }
}
