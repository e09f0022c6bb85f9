import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus scrape endpoint: a minimal HTTP/1.1 server answering `GET /metrics` with the
/// text exposition.
///
/// No web framework: one handler, a few lines, nothing on the capture path. Rendering runs on
/// the loop that accepted the scrape, which ``MetricsEndpoint`` gives a thread of its own (not
/// one of the pinned capture loops); it reads only the reporter's last snapshots.
final class MetricsHTTPServer: Sendable {
    let channel: any Channel
    let address: ListenAddress

    private init(channel: any Channel, address: ListenAddress) {
        self.channel = channel
        self.address = address
    }

    /// Binds `address` (port 0 picks a free one) on `group`; the caller suspends, never blocks,
    /// while the bind completes on the loop.
    static func start(
        group: any EventLoopGroup, address: ListenAddress, render: @escaping @Sendable () -> [UInt8]
    ) async throws -> MetricsHTTPServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(render: render))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        let port = channel.localAddress?.port ?? address.port
        return MetricsHTTPServer(channel: channel, address: ListenAddress(host: address.host, port: port))
    }

    func close() async {
        try? await channel.close()
    }
}

/// Answers one HTTP connection: `/metrics` gets the exposition, anything else a 404.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> [UInt8]
    private var request: HTTPRequestHead?

    init(render: @escaping @Sendable () -> [UInt8]) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let body: [UInt8]
        let contentType: String
        if head.method != .GET && head.method != .HEAD {
            (status, body, contentType) = (.methodNotAllowed, Array("GET only\n".utf8), "text/plain; charset=utf-8")
        } else if path == "/metrics" {
            (status, body, contentType) = (.ok, render(), "text/plain; version=0.0.4; charset=utf-8")
        } else {
            (status, body, contentType) = (.notFound, Array("ticktape: metrics are at /metrics\n".utf8), "text/plain; charset=utf-8")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
