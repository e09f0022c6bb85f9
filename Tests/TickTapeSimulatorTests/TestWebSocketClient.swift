import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// What a ``TestWebSocketClient`` has seen so far.
struct ClientLog: Sendable {
    /// Text frames in arrival order.
    var texts: [String] = []
    /// Monotonic arrival time of each text frame (same order as ``texts``).
    var arrivals: [NIODeadline] = []
    /// Payloads of pings and pongs received from the server.
    var pings: [String] = []
    var pongs: [String] = []
    /// Status code of the server's close frame, if one arrived.
    var closeCode: UInt16?
    /// Errors the pipeline reported (for example a connection reset).
    var errors: [String] = []
    /// Whether the TCP connection is gone.
    var closed = false

    /// Text frames that are data, not replies to requests.
    var dataTexts: [String] { self.texts.filter { !$0.hasPrefix(#"{"result""#) && !$0.hasPrefix(#"{"error""#) } }
    /// Replies to requests.
    var replies: [String] { self.texts.filter { $0.hasPrefix(#"{"result""#) || $0.hasPrefix(#"{"error""#) } }
}

struct UpgradeRefused: Error {}
struct WaitTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// A minimal NIO WebSocket client for the tests: records every frame it receives, answers pings, and can send
/// text, ping and close frames (masked, as a client must).
final class TestWebSocketClient: Sendable {
    let channel: any Channel
    private let recorder: Recorder

    final class Recorder: Sendable {
        let log = Mutex(ClientLog())
    }

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    /// Connects to `127.0.0.1:port` and upgrades `path`; with `caPath` it speaks TLS and verifies the server
    /// certificate against that CA for the name `localhost`.
    static func connect(
        port: Int,
        path: String,
        connectionIndex: Int? = nil,
        caPath: String? = nil
    ) async throws -> TestWebSocketClient {
        let recorder = Recorder()
        var sslContext: NIOSSLContext?
        if let caPath {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
            sslContext = try NIOSSLContext(configuration: tls)
        }
        let context = sslContext
        let (channel, upgraded) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: "localhost")
                        )
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: 1 << 20) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(RecordingHandler(recorder: recorder))
                            return true
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "localhost:\(port)")
                    if let connectionIndex {
                        headers.add(name: "User-Agent", value: "ticktape/0.0.0-test conn/\(connectionIndex)")
                    }
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: .init(
                            upgradeRequestHead: .init(version: .http1_1, method: .GET, uri: path, headers: headers),
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(false) }
                        )
                    )
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let result = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration
                    )
                    return (channel, result)
                }
            }
        guard try await upgraded.get() else {
            try? await channel.close()
            throw UpgradeRefused()
        }
        return TestWebSocketClient(channel: channel, recorder: recorder)
    }

    var log: ClientLog { self.recorder.log.withLock { $0 } }

    func send(text: String) async throws {
        try await self.send(opcode: .text, payload: ByteBuffer(string: text))
    }

    func send(opcode: WebSocketOpcode, payload: ByteBuffer) async throws {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: payload)
        try await self.channel.writeAndFlush(frame)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Polls the log every 5 ms until `condition` holds; throws after `timeout`.
    @discardableResult
    func wait(
        for description: String,
        timeout: Duration = .seconds(5),
        until condition: (ClientLog) -> Bool
    ) async throws -> ClientLog {
        let deadline = ContinuousClock.now + timeout
        while true {
            let log = self.log
            if condition(log) { return log }
            if ContinuousClock.now >= deadline {
                throw WaitTimedOut(description: "timed out waiting for \(description); got \(log.texts.count) texts")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private final class RecordingHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame

        let recorder: Recorder

        init(recorder: Recorder) {
            self.recorder = recorder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = Self.unwrapInboundIn(data)
            let now = NIODeadline.now()
            switch frame.opcode {
            case .text:
                let text = String(buffer: frame.unmaskedData)
                self.recorder.log.withLock {
                    $0.texts.append(text)
                    $0.arrivals.append(now)
                }
            case .ping:
                self.recorder.log.withLock { $0.pings.append(String(buffer: frame.unmaskedData)) }
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
            case .pong:
                self.recorder.log.withLock { $0.pongs.append(String(buffer: frame.unmaskedData)) }
            case .connectionClose:
                var payload = frame.unmaskedData
                let code = payload.readInteger(as: UInt16.self)
                self.recorder.log.withLock { $0.closeCode = code }
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.recorder.log.withLock { $0.closed = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            self.recorder.log.withLock { $0.errors.append(String(describing: error)) }
            context.close(promise: nil)
        }
    }
}

/// Sends raw bytes over plain TCP and returns everything the server answers until it closes.
func rawExchange(port: Int, request: String) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: request))
        var response = ""
        for try await chunk in inbound {
            response += String(buffer: chunk)
        }
        return response
    }
}
