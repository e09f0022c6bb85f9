import NIOCore

/// Remembers when bytes last came off the socket.
///
/// It sits first in the pipeline, before TLS, so the stamp is taken at the `read(2)`, not
/// after decryption and WebSocket decoding. Every frame decoded from that read carries it.
///
/// Under TLS that needs one more step: NIOSSL decrypts on each read but forwards the plaintext
/// only at `channelReadComplete`, which NIO fires after up to `maxMessagesPerRead` reads. Every
/// frame of such a loop would then carry the loop's *last* read stamp, up to several reads
/// late. With ``forwardsEachRead`` the handler fires `channelReadComplete` right after each
/// read, so NIOSSL hands on what that read decrypted while its stamp is still current. That is
/// cheaper than `maxMessagesPerRead = 1` (no extra `epoll_wait` per read) and leaves plain
/// `ws://` links untouched.
final class ReadStampHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let stamp: ReadStamp
    /// Whether each read is followed by its own `channelReadComplete` (TLS links).
    let forwardsEachRead: Bool
    private let clock: () -> Int64

    /// - Parameter clock: the stamp's source; tests pass a counter to tell reads apart.
    init(stamp: ReadStamp, forwardsEachRead: Bool = false, clock: @escaping () -> Int64 = WallClock.realtimeNanos) {
        self.stamp = stamp
        self.forwardsEachRead = forwardsEachRead
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stamp.nanos = clock()
        context.fireChannelRead(data)
        if forwardsEachRead { context.fireChannelReadComplete() }
    }
}

/// The last read time of one channel; confined to that channel's event loop.
///
/// `@unchecked Sendable`: written and read on the channel's loop only, once per read and per frame: the hot path, where `NIOLoopBoundBox`'s check per access is not free.
final class ReadStamp: @unchecked Sendable {
    var nanos: Int64 = 0
}
