import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades chosen requests to WebSocket connections whose handler writes pre-framed buffers
/// itself: the relay's clients (``RelayClientHandler``) and replay sessions
/// (``ReplayClientHandler``).
///
/// The handshake (key validation, `Sec-WebSocket-Accept`) is NIO's
/// `NIOTypedWebSocketServerUpgrader`; only the pipeline differs: NIO's would add a
/// `WebSocketFrameEncoder`, which takes one `WebSocketFrame` per message, while these handlers
/// write buffers already framed (the relay shares one among every client of a group). So this
/// adds only the frame decoder (inbound) and the handler `makeHandler` builds. A request
/// `accepts` refuses is not upgraded: the server's HTTP handler answers it (401, 404, 400 with
/// the reason).
struct PreFramedWebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = Void

    /// Largest frame a client may send (control messages are a few hundred bytes).
    static let maxFrameSize = 64 << 10

    private let handshake: NIOTypedWebSocketServerUpgrader<Void>
    private let makeHandler: @Sendable (HTTPRequestHead) throws -> any ChannelHandler

    /// - Parameters:
    ///   - accepts: whether to upgrade the request (path, parameters, token); cheap, on the loop.
    ///   - makeHandler: the connection's handler for an accepted request; throws if the
    ///     request is not one after all.
    init(
        accepts: @escaping @Sendable (HTTPRequestHead) -> Bool,
        makeHandler: @escaping @Sendable (HTTPRequestHead) throws -> any ChannelHandler
    ) {
        self.makeHandler = makeHandler
        self.handshake = NIOTypedWebSocketServerUpgrader<Void>(
            maxFrameSize: Self.maxFrameSize,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(accepts(head) ? HTTPHeaders() : nil)
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
            let handler = try makeHandler(upgradeRequest)
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: Self.maxFrameSize)))
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }
}
