import NIOCore
import NIOHTTP1

/// Remembers the status and `Retry-After` of the server's answer to the WebSocket upgrade.
///
/// NIO's client upgrade handler reports a refused upgrade only as "not upgraded"; the reason
/// (429 rate limit, 418 IP ban, 5xx) and how long the exchange wants us to stay away are in the
/// response head, which this handler sees just before the upgrade handler does. It removes
/// itself after the head, so it is gone before any WebSocket byte flows.
final class UpgradeResponseObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    /// Shared with the link's completion, which runs later on the same loop.
    let refusal: NIOLoopBoundBox<UpgradeRefusal>

    init(refusal: NIOLoopBoundBox<UpgradeRefusal>) { self.refusal = refusal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = Self.unwrapInboundIn(data) {
            refusal.value = UpgradeRefusal(
                status: Int(head.status.code),
                retryAfter: head.headers.first(name: "Retry-After").flatMap(UpgradeRefusal.parseRetryAfter))
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// What ``UpgradeResponseObserver`` saw of the server's answer (nothing: no answer yet).
struct UpgradeRefusal: Sendable {
    var status: Int?
    var retryAfter: Duration?

    /// `Retry-After` in delta-seconds (what Binance sends); HTTP dates are not used by Binance
    /// and yield nil, which falls back to the exchange's documented waits.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Int(value.filter { $0 != " " }), seconds >= 0 else { return nil }
        return .seconds(min(seconds, 3 * 24 * 3600))
    }

    /// Whether the exchange asked us to back off (rate limited or banned).
    var isBackOff: Bool { status == 429 || status == 418 }
}
