import BinanceWire
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades Binance's stream paths to relay clients.
///
/// The handshake (key validation, `Sec-WebSocket-Accept`) is NIO's
/// `NIOTypedWebSocketServerUpgrader`; only the pipeline differs: NIO's would add a
/// `WebSocketFrameEncoder`, which takes one `WebSocketFrame` per message, while the relay writes
/// pre-framed buffers shared by every client of a group. So this adds only the frame decoder
/// (inbound) and the ``RelayClientHandler``. A request without the token, or on another path,
/// is not upgraded: ``ServeHTTPHandler`` answers it (401, 404).
struct RelayUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = Void

    private let handshake: NIOTypedWebSocketServerUpgrader<Void>
    private let hub: RelayHub
    private let settings: ServeConfig
    private let logger: Logger

    init(hub: RelayHub, settings: ServeConfig, token: BearerToken?, logger: Logger) {
        self.hub = hub
        self.settings = settings
        self.logger = logger
        self.handshake = NIOTypedWebSocketServerUpgrader<Void>(
            maxFrameSize: 64 << 10,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                guard StreamRequestPath(uri: head.uri) != nil,
                    token?.accepts(authorization: head.headers.first(name: "Authorization")) ?? true
                else { return channel.eventLoop.makeSucceededFuture(nil) }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        )
    }

    var supportedProtocol: String { handshake.supportedProtocol }

    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        handshake.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            guard let path = StreamRequestPath(uri: upgradeRequest.uri) else {
                throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
            }
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 64 << 10)))
            try channel.pipeline.syncOperations.addHandler(RelayClientHandler(path: path, hub: hub, settings: settings, logger: logger))
        }
    }
}
