import NIOCore

/// Remembers when bytes last came off the socket.
///
/// It sits first in the pipeline, before TLS, so the stamp is taken at the `read(2)`, not
/// after decryption and WebSocket decoding. Every frame decoded from that read carries it.
final class ReadStampHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let stamp: ReadStamp

    init(stamp: ReadStamp) { self.stamp = stamp }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stamp.nanos = WallClock.realtimeNanos()
        context.fireChannelRead(data)
    }
}

/// The last read time of one channel; confined to that channel's event loop.
final class ReadStamp: @unchecked Sendable {
    var nanos: Int64 = 0
}
