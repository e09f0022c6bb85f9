import NIOCore
import NIOHTTP1

/// Collects one HTTP response for ``OneShotHTTPClient`` (head and whole body, up to a size limit) and completes a promise with it;
/// any error or an early close fails the promise instead.
package final class HTTPResponseCollector: ChannelInboundHandler {
    package typealias InboundIn = HTTPClientResponsePart

    package struct Response: Sendable {
        package var head: HTTPResponseHead
        package var body: ByteBuffer
        package var receivedAtNanos: Int64
    }

    private let promise: EventLoopPromise<Response>
    private let maximumBodyBytes: Int
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    init(promise: EventLoopPromise<Response>, maximumBodyBytes: Int) {
        self.promise = promise
        self.maximumBodyBytes = maximumBodyBytes
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = context.channel.allocator.buffer(capacity: 0)
        case .body(var part):
            guard self.body != nil else { return }
            if self.body!.readableBytes + part.readableBytes > self.maximumBodyBytes {
                self.body = nil
                self.promise.fail(HTTPExchangeError.responseTooLarge(self.maximumBodyBytes))
                context.close(promise: nil)
                return
            }
            self.body!.writeBuffer(&part)
        case .end:
            guard let head = self.head, let body = self.body else { return }
            self.head = nil
            self.body = nil
            self.promise.succeed(Response(head: head, body: body, receivedAtNanos: WallClock.realtimeNanos()))
            context.close(promise: nil)
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(HTTPExchangeError.connectionFailed("the server closed the connection before the response was complete"))
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(HTTPExchangeError.connectionFailed("\(error)"))
        context.close(promise: nil)
    }
}
