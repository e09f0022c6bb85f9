import ServiceLifecycle
import TickTape

/// Runs a service once the services before it are up.
///
/// `ServiceGroup` starts all its services at once; the daemon wants the metrics endpoint
/// listening and the telemetry reporter running before the first connection opens, so the
/// engine's service waits for their ``StartupLatch``es. Shutdown order needs nothing extra: the
/// group already stops services in the reverse of their order in its configuration.
struct StartsAfter: Service {
    let latches: [StartupLatch]
    let service: any Service

    init(_ latches: [StartupLatch], _ service: any Service) {
        self.latches = latches
        self.service = service
    }

    func run() async throws {
        for latch in latches { await latch.wait() }
        // Cancelled while waiting (a service before it failed): never start.
        if Task.isCancelled { return }
        try await service.run()
    }
}
