import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
import TickTapeSimulator

@testable import TickTape

/// `ReadStampHandler` on `EmbeddedChannel`s, with real TLS between a client and a server
/// channel and a clock the test sets before each read, so every stamp names its read.
@Suite struct ReadStampHandlerTests {
    /// The clock a handler reads: whatever the test last set.
    final class TestClock: @unchecked Sendable {
        var now: Int64 = 0
    }

    /// Records each chunk of bytes reaching it with the stamp current at that moment.
    final class StampRecorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let stamp: ReadStamp
        var seen: [(text: String, stamp: Int64)] = []
        init(stamp: ReadStamp) { self.stamp = stamp }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen.append((String(buffer: Self.unwrapInboundIn(data)), stamp.nanos))
        }
    }

    /// A plain link: bytes pass at their read, stamped with it.
    @Test func aPlainReadIsStampedWhenItArrives() throws {
        let clock = TestClock()
        let stamp = ReadStamp()
        let recorder = StampRecorder(stamp: stamp)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(ReadStampHandler(stamp: stamp, clock: { clock.now }), recorder)
        clock.now = 100
        channel.pipeline.fireChannelRead(ByteBuffer(string: "a"))
        clock.now = 200
        channel.pipeline.fireChannelRead(ByteBuffer(string: "b"))
        channel.pipeline.fireChannelReadComplete()
        #expect(recorder.seen.map(\.stamp) == [100, 200])
        _ = try channel.finish()
    }

    /// Two TLS records in two reads of one read loop (NIO reads up to `maxMessagesPerRead`
    /// times before `channelReadComplete`): each record's plaintext carries the stamp of the
    /// read that brought it. Before the fix NIOSSL forwarded both at `channelReadComplete`,
    /// and both carried the second read's stamp.
    @Test func eachTLSRecordCarriesTheStampOfItsOwnRead() throws {
        try Self.expectStamps(forwardsEachRead: true, [100, 200])
    }

    /// What the fix is for: without it, both records reach the next handler together, with the loop's last stamp.
    @Test func withoutForwardingEachReadTLSStampsTheLoopsLastRead() throws {
        try Self.expectStamps(forwardsEachRead: false, [200])
    }

    static func expectStamps(forwardsEachRead: Bool, _ expected: [Int64], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TemporaryDirectory("ticktape-stamp-tls")
        defer { dir.cleanup() }
        let certs = try TestCertificateAuthority.make(in: dir.path)
        var clientConfig = TLSConfiguration.makeClientConfiguration()
        clientConfig.trustRoots = .file(certs.caPath)
        let serverConfig = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certs.certPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certs.keyPath, format: .pem)))

        let clock = TestClock()
        let stamp = ReadStamp()
        let recorder = StampRecorder(stamp: stamp)
        let client = EmbeddedChannel()
        let server = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandlers(
            ReadStampHandler(stamp: stamp, forwardsEachRead: forwardsEachRead, clock: { clock.now }),
            try NIOSSLClientHandler(context: NIOSSLContext(configuration: clientConfig), serverHostname: "localhost"),
            recorder)
        try server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: NIOSSLContext(configuration: serverConfig)))
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
        client.connect(to: address, promise: nil)
        server.connect(to: address, promise: nil)
        // The handshake: shuttle bytes both ways until neither side has anything to send.
        var moved = true
        var rounds = 0
        while moved {
            rounds += 1
            try #require(rounds < 50, "the handshake settles", sourceLocation: sourceLocation)
            moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
        }
        try #require(recorder.seen.isEmpty, "handshake done, nothing sent yet", sourceLocation: sourceLocation)
        // Two records, sent separately: two reads on the client.
        var records: [ByteBuffer] = []
        for text in ["first", "second"] {
            server.writeAndFlush(ByteBuffer(string: text), promise: nil)
            var record = ByteBuffer()
            while var bytes = try server.readOutbound(as: ByteBuffer.self) { record.writeBuffer(&bytes) }
            records.append(record)
        }
        recorder.seen.removeAll()
        clock.now = 100
        client.pipeline.fireChannelRead(records[0])
        clock.now = 200
        client.pipeline.fireChannelRead(records[1])
        client.pipeline.fireChannelReadComplete()
        #expect(recorder.seen.map(\.text).joined() == "firstsecond", sourceLocation: sourceLocation)
        #expect(recorder.seen.map(\.stamp) == expected, sourceLocation: sourceLocation)
        // No `finish()`: NIOSSL's close would wait for the peer's close_notify, which no one
        // shuttles; the channels are simply dropped.
    }
}
