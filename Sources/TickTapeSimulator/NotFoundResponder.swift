import NIOCore
import NIOHTTP1

/// Answers every plain HTTP request (and every upgrade to a path that is not a market-stream route) with
/// `404 Not Found` and closes the connection, so a client using a wrong URL fails fast and visibly. An
/// upgrade refused by a ``HandshakeFault`` gets that fault's status and `Retry-After` instead.
final class NotFoundResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refusal: HandshakeRefusal

    init(refusal: HandshakeRefusal = HandshakeRefusal()) {
        self.refusal = refusal
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Connection", value: "close")
        var status = HTTPResponseStatus.notFound
        if let (code, retryAfter) = self.refusal.status {
            status = HTTPResponseStatus(statusCode: code)
            if let retryAfter { headers.add(name: "Retry-After", value: String(retryAfter)) }
        }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
