import NIOCore
import NIOHTTP1

/// Collects one HTTP response (head and whole body, up to a size limit) and completes a promise with it;
/// any error or an early close fails the promise instead.
final class HTTPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    struct Response: Sendable {
        var head: HTTPResponseHead
        var body: ByteBuffer
        var receivedAtNanos: Int64
    }

    private let promise: EventLoopPromise<Response>
    private let maximumBodyBytes: Int
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    init(promise: EventLoopPromise<Response>, maximumBodyBytes: Int) {
        self.promise = promise
        self.maximumBodyBytes = maximumBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = context.channel.allocator.buffer(capacity: 0)
        case .body(var part):
            guard self.body != nil else { return }
            if self.body!.readableBytes + part.readableBytes > self.maximumBodyBytes {
                self.body = nil
                self.promise.fail(DepthSnapshotError.responseTooLarge(self.maximumBodyBytes))
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

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(DepthSnapshotError.connectionFailed("the server closed the connection before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(DepthSnapshotError.connectionFailed("\(error)"))
        context.close(promise: nil)
    }
}
