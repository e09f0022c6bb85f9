import NIOCore
import NIOHTTP1

/// Serves the REST depth endpoints on the WebSocket listener (Binance has them on another host; one
/// listener keeps a test's set-up to one port) and passes every other plain request on to the
/// ``NotFoundResponder``. Keeps the connection open between requests unless the client asks to close.
final class RestResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: SimulatorCore
    /// The depth request being read, `nil` while passing a request through.
    private var request: (head: HTTPRequestHead, market: SimulatedMarket, query: Substring)?
    private var passing = false

    init(core: SimulatorCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        switch part {
        case .head(let head):
            let path = head.uri.prefix { $0 != "?" }
            if !self.passing, head.method == .GET, let market = RestDepthService.market(path: String(path)) {
                let query = head.uri.dropFirst(path.count + 1)
                self.request = (head, market, query)
            } else {
                self.passing = true
                context.fireChannelRead(data)
            }
        case .body:
            if self.request == nil { context.fireChannelRead(data) }
        case .end:
            guard let request = self.request else {
                context.fireChannelRead(data)
                return
            }
            self.request = nil
            self.respond(to: request, context: context)
        }
    }

    private func respond(to request: (head: HTTPRequestHead, market: SimulatedMarket, query: Substring), context: ChannelHandlerContext) {
        let now = ScheduleClock.unixNanos()
        let offset = self.core.clock.map { $0.offset(of: .now()) }
        let reply = self.core.rest.reply(market: request.market, query: request.query, now: now, offset: offset)
        let keepAlive = request.head.isKeepAlive
        var headers = HTTPHeaders(reply.headers)
        headers.add(name: "Content-Length", value: String(reply.body.utf8.count))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.head.version, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        let body = context.channel.allocator.buffer(string: reply.body)
        let channel = context.channel
        let send = {
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
        if let delay = reply.delay {
            context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { send() }
        } else {
            send()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
