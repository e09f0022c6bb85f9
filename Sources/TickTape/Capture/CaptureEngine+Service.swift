import ServiceLifecycle

/// The engine as a service of the daemon's `ServiceGroup`.
///
/// `run()` is ``CaptureEngine/start()``, a wait for the group's graceful shutdown, and
/// ``CaptureEngine/stop()``: sessions closed, rings drained, every segment flushed, closed and
/// sealed before it returns. The group shuts services down in reverse order and waits for each,
/// so the services listed before the engine (telemetry, the metrics endpoint) are still up
/// during the whole drain. A cancelled group (another service failed) drains too: there is no
/// shortcut that would leave a segment unsealed.
extension CaptureEngine: Service {
    package func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
    }
}
