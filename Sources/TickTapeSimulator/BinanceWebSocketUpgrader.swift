import BinanceWire
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades Binance market-stream URLs to WebSocket sessions driven by a ``SimulatorConnectionHandler``.
///
/// The handshake (key validation, `Sec-WebSocket-Accept`) is delegated to NIO's
/// `NIOTypedWebSocketServerUpgrader`; only the pipeline set-up differs. NIO's own `upgrade` would install a
/// `WebSocketFrameEncoder`, which forces one `WebSocketFrame` write per message; this upgrader adds just the
/// frame decoder and the simulator handler, which writes pre-framed bytes in batches.
struct BinanceWebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = Void

    private let core: SimulatorCore
    private let handshake: NIOTypedWebSocketServerUpgrader<Void>

    /// - Parameter refusal: where a refused upgrade leaves the status to answer with (a queued
    ///   ``HandshakeFault/status(code:retryAfter:)`` for this connection index), for the responder that the
    ///   not-upgrading path installs.
    init(core: SimulatorCore, refusal: HandshakeRefusal) {
        self.core = core
        self.handshake = NIOTypedWebSocketServerUpgrader<Void>(
            maxFrameSize: 1 << 20,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                guard StreamRequestPath(uri: head.uri) != nil else { return channel.eventLoop.makeSucceededFuture(nil) }
                let index = Self.connectionIndex(userAgent: head.headers.first(name: "User-Agent"))
                if case .status(let code, let retryAfter)? = core.takeStatusFault(connection: index) {
                    refusal.status = (code, retryAfter)
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        )
    }

    var supportedProtocol: String { self.handshake.supportedProtocol }

    var requiredUpgradeHeaders: [String] { self.handshake.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        self.handshake.buildUpgradeResponse(
            channel: channel,
            upgradeRequest: upgradeRequest,
            initialResponseHeaders: initialResponseHeaders
        )
    }

    func upgrade(channel: Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            guard let route = StreamRequestPath(uri: upgradeRequest.uri) else {
                throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
            }
            let index = Self.connectionIndex(userAgent: upgradeRequest.headers.first(name: "User-Agent"))
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20))
            )
            try channel.pipeline.syncOperations.addHandler(
                SimulatorConnectionHandler(core: self.core, route: route, requestedIndex: index)
            )
        }
    }

    /// Extracts `k` from a `User-Agent` containing `conn/<k>` (ticktape's `ticktape/<version> conn/<k>`).
    static func connectionIndex(userAgent: String?) -> Int? {
        guard let userAgent, let marker = userAgent.range(of: "conn/") else { return nil }
        let digits = userAgent[marker.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int(digits)
    }
}
