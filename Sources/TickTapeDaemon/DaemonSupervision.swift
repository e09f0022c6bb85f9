import ServiceLifecycle
import UnixSignals

/// The daemon's own service, last in its `ServiceGroup`: readiness, status, watchdog pings and
/// the signal loop (``Daemon/supervise(signals:started:)``).
///
/// It returns when SIGTERM or SIGINT arrives; its configuration makes that a graceful shutdown
/// of the group, which stops it first and the metrics endpoint last.
struct DaemonSupervision: Service {
    let daemon: Daemon
    let signals: UnixSignalsSequence
    let started: ContinuousClock.Instant

    func run() async throws {
        await daemon.supervise(signals: signals, started: started)
    }
}
