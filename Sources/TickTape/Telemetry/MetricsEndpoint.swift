import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The Prometheus scrape endpoint as a service of the daemon's `ServiceGroup`.
///
/// It is the first service up and the last one down: the capture starts only after it listens
/// (``up``), and since the group shuts services down in reverse order it closes only after the
/// engine has drained and telemetry has made its last pass, so a scrape during a stop sees the
/// drain. It serves on a one-thread event loop group of its own, never on a pinned capture
/// loop. An endpoint that cannot bind is logged, not fatal: capturing matters more than being
/// scraped.
package final class MetricsEndpoint: Service, Sendable {
    package let listen: ListenAddress
    /// Opened once the endpoint listens, or has given up trying.
    package let up = StartupLatch()
    private let logger: Logger
    private let render: @Sendable () -> [UInt8]
    private let server = Mutex<MetricsHTTPServer?>(nil)
    private let group = Mutex<MultiThreadedEventLoopGroup?>(nil)

    package init(listen: ListenAddress, logger: Logger, render: @escaping @Sendable () -> [UInt8]) {
        self.listen = listen
        self.logger = logger
        self.render = render
    }

    /// The bound address (the chosen port when `listen` asked for 0), while listening.
    package var address: ListenAddress? { server.withLock { $0?.address } }

    /// The event loop serving scrapes (tests check it is not a capture loop).
    var eventLoop: (any EventLoop)? { server.withLock { $0?.channel.eventLoop } }

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    package func open() async throws -> ListenAddress {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let http: MetricsHTTPServer
        do {
            http = try await MetricsHTTPServer.start(group: loops, address: listen, render: render)
        } catch {
            try? await loops.shutdownGracefully()
            throw error
        }
        group.withLock { $0 = loops }
        server.withLock { $0 = http }
        logger.info("metrics endpoint listening", metadata: ["address": "\(http.address)", "path": "/metrics"])
        if !listen.isLoopback {
            logger.notice(
                "metrics endpoint reachable from other hosts (listen is not a loopback address)",
                metadata: ["address": "\(http.address)"])
        }
        return http.address
    }

    /// Stops listening and shuts its event loop down.
    package func close() async {
        if let http = server.withLock({ s -> MetricsHTTPServer? in
            defer { s = nil }
            return s
        }) {
            await http.close()
            logger.info("metrics endpoint closed", metadata: ["address": "\(http.address)"])
        }
        if let loops = group.withLock({ g -> MultiThreadedEventLoopGroup? in
            defer { g = nil }
            return g
        }) {
            try? await loops.shutdownGracefully()
        }
    }

    /// Listens until the group shuts down (or cancels), then closes.
    package func run() async throws {
        do {
            try await open()
        } catch {
            logger.error(
                "metrics endpoint could not listen; capturing without it",
                metadata: ["address": "\(listen)", "error": "\(error)"])
        }
        up.open()
        // Cancellation ends the wait as a shutdown does; either way the endpoint closes.
        try? await gracefulShutdown()
        await close()
    }
}
