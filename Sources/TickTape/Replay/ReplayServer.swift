import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// `ticktape replay`'s listener: Binance's WebSocket stream paths fed from a data folder's
/// stored segments (``ReplayClientHandler``), and the history API (``ReplayHTTPHandler``).
///
/// A server of its own rather than the daemon's `[serve]` listener: a replay reads files
/// and paces by timers, none of which belongs on a capturing host's relay loops; pointed at a
/// running daemon's `data_dir` it serves the sealed segments and the open one as they are.
/// Loopback only unless the operator says otherwise (there is no token here).
package final class ReplayServer: Sendable {
    private let dataDirectory: String
    private let listen: ListenAddress
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let channel = Mutex<(any Channel)?>(nil)
    /// Paced lines' lateness against their deadlines, on the server (tests, benchmarks).
    package let pacing = ReplayPacingFigures()

    package init(dataDirectory: String, listen: ListenAddress, threads: Int = 1, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
    }

    /// Binds and starts accepting; returns the bound port.
    package func start() async throws -> Int {
        let dataDirectory = self.dataDirectory
        let logger = self.logger
        let pacing = self.pacing
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let configuration = NIOTypedHTTPServerUpgradeConfiguration<Void>(
                        upgraders: [Self.upgrader(dataDirectory: dataDirectory, pacing: pacing, logger: logger)],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ReplayHTTPHandler(dataDirectory: dataDirectory))
                            }
                        }
                    )
                    _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
        channel.withLock { $0 = bound }
        let port = bound.localAddress?.port ?? listen.port
        logger.notice(
            "replaying stored captures", metadata: ["listen": "\(ListenAddress(host: listen.host, port: port))", "data": "\(dataDirectory)"])
        return port
    }

    /// Binance's stream paths with valid replay parameters become replay sessions; a bad
    /// parameter is not upgraded, so ``ReplayHTTPHandler`` answers it 400 with the reason.
    private static func upgrader(dataDirectory: String, pacing: ReplayPacingFigures, logger: Logger) -> PreFramedWebSocketUpgrader {
        PreFramedWebSocketUpgrader(
            accepts: { head in
                guard case .success? = ReplayRequest.parse(uri: head.uri) else { return false }
                return true
            },
            makeHandler: { head in
                guard case .success(let request)? = ReplayRequest.parse(uri: head.uri) else {
                    throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
                }
                return ReplayClientHandler(request: request, dataDirectory: dataDirectory, pacing: pacing, logger: logger)
            })
    }

    /// Closes the listener and every connection.
    package func stop() async {
        let bound = channel.withLock { c in defer { c = nil }; return c }
        try? await bound?.close()
        try? await group.shutdownGracefully()
    }
}
