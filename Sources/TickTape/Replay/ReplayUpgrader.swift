import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades Binance's stream paths with valid replay parameters to replay sessions.
///
/// As ``RelayUpgrader``: NIO's handshake, then only the frame decoder and the
/// ``ReplayClientHandler``, which writes pre-framed buffers itself. A path with a bad
/// parameter is not upgraded, so ``ReplayHTTPHandler`` answers it 400 with the reason.
struct ReplayUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = Void

    private let handshake: NIOTypedWebSocketServerUpgrader<Void>
    private let dataDirectory: String
    private let pacing: ReplayPacingFigures
    private let logger: Logger

    init(dataDirectory: String, pacing: ReplayPacingFigures, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.pacing = pacing
        self.logger = logger
        self.handshake = NIOTypedWebSocketServerUpgrader<Void>(
            maxFrameSize: 64 << 10,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                guard case .success? = ReplayRequest.parse(uri: head.uri) else { return channel.eventLoop.makeSucceededFuture(nil) }
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
            guard case .success(let request)? = ReplayRequest.parse(uri: upgradeRequest.uri) else {
                throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
            }
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 64 << 10)))
            try channel.pipeline.syncOperations.addHandler(
                ReplayClientHandler(request: request, dataDirectory: dataDirectory, pacing: pacing, logger: logger))
        }
    }
}
