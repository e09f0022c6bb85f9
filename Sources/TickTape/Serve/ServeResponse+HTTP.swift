import NIOCore
import NIOHTTP1

extension ServeResponse {
    /// Writes this response on a pipeline of `HTTPServerResponsePart`s (the `[serve]` listener
    /// and the replay server answer alike): Content-Type, Content-Length, `no-store`, its own
    /// headers and Connection; no body for a HEAD request (`includeBody` false). Without
    /// `keepAlive` the connection is closed once the response is flushed.
    func write(to context: ChannelHandlerContext, version: HTTPVersion, keepAlive: Bool, includeBody: Bool = true) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in self.headers { headers.add(name: name, value: value) }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if includeBody, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
