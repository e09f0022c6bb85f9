import NIOCore
import NIOHTTP1

/// Plain HTTP/1.1 requests on the listener (everything that is not a WebSocket upgrade):
/// checks size and token, hands the request to the ``ServeRouter`` and writes its answer.
///
/// Bad requests are answered, never crash anything: a head larger than `max_request_bytes` 431,
/// a body 413, a missing or wrong token 401 (on every path but the status page's `/`), a
/// request NIO cannot parse 400; each then closes the connection. A connection with no request for `idle_timeout` is closed.
final class ServeHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: ServeRouter
    private let token: BearerToken?
    private let maxRequestBytes: Int
    private var head: HTTPRequestHead?
    private var refused: ServeResponse?
    private var inFlight = false

    init(router: ServeRouter, token: BearerToken?, maxRequestBytes: Int) {
        self.router = router
        self.token = token
        self.maxRequestBytes = maxRequestBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            refused = nil
            let size = head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
            if head.method != .GET && head.method != .HEAD {
                refused = .error(405, "method \(head.method.rawValue) is not allowed; every path here answers GET")
            } else if size > maxRequestBytes {
                refused = .error(431, "request head of \(size) bytes is larger than max_request_bytes (\(maxRequestBytes))")
            } else if let token, !StatusPage.isPage(uri: head.uri),
                !token.accepts(authorization: head.headers.first(name: "Authorization"))
            {
                // The page is the one public path: it holds no data and sends the token itself.
                refused = ServeResponse(
                    status: 401, body: Array(#"{"error":"missing or wrong bearer token (Authorization: Bearer <token>)"}"#.utf8),
                    headers: [("WWW-Authenticate", "Bearer")])
            }
        case .body(let body):
            if refused == nil, body.readableBytes > 0 {
                refused = .error(413, "request bodies are not accepted; every path here answers GET with query parameters")
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if let refused {
                write(refused, head: head, keepAlive: false, context: context)
                return
            }
            let request = ServeRequest(method: head.method.rawValue, uri: head.uri)
            let keepAlive = head.isKeepAlive
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            inFlight = true
            router.route(request) { response in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.inFlight = false
                    handler.write(response, head: head, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let response = ServeResponse.error(400, "malformed HTTP request: \(error)")
        let fake = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        write(response, head: fake, keepAlive: false, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, !inFlight {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func write(_ response: ServeResponse, head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        response.write(to: context, version: head.version, keepAlive: keepAlive, includeBody: head.method != .HEAD)
    }
}
