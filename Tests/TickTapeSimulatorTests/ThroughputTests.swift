import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    /// Load check, opt-in because it saturates the machine: `TICKTAPE_SIMULATOR_THROUGHPUT=1 swift test …`.
    @Suite("Throughput", .enabled(if: ProcessInfo.processInfo.environment["TICKTAPE_SIMULATOR_THROUGHPUT"] != nil))
    struct ThroughputTests {
        @Test("200k msg/s reach each of 4 connections", .timeLimit(.minutes(1)))
        func fourConnectionsAt200k() async throws {
            let rate = 200_000.0
            var configuration = syntheticConfiguration(rate: rate)
            configuration.startWhenConnected = 4
            configuration.recordsSentMessages = false
            try await withSimulator(configuration) { simulator, port in
                var counters: [FrameCounter] = []
                for index in 0..<4 {
                    counters.append(try await FrameCounter.connect(port: port, connectionIndex: index))
                }
                try await Task.sleep(for: .milliseconds(500))
                let before = counters.map(\.frames)
                let start = ContinuousClock.now
                try await Task.sleep(for: .seconds(3))
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rates = zip(counters.map(\.frames), before).map { Double($0 - $1) / seconds }
                let perConnection = rates.map { Int($0) }
                print("simulator throughput per connection (msg/s): \(perConnection), at \(simulator.messageCount)")
                for measured in rates {
                    #expect(measured > rate * 0.9, "measured \(measured) msg/s")
                }
                for counter in counters { await counter.close() }
            }
        }
    }
}

/// A WebSocket reader that only counts frames: it sends the upgrade request by hand and then walks frame
/// headers without decoding payloads, so the client is never the bottleneck of a throughput measurement.
final class FrameCounter: Sendable {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let channel: any Channel
    private let counter: Counter

    var frames: Int { self.counter.value.load(ordering: .relaxed) }

    private init(channel: any Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
    }

    static func connect(port: Int, connectionIndex: Int) async throws -> FrameCounter {
        let counter = Counter()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CountingHandler(counter: counter))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let request =
            "GET /ws/btcusdt@bookTicker HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "User-Agent: ticktape/0.0.0-test conn/\(connectionIndex)\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return FrameCounter(channel: channel, counter: counter)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Skips the HTTP 101 response, then counts frames by reading each header and skipping its payload.
    private final class CountingHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private let counter: Counter
        private var pending = ByteBuffer()
        private var inHeaders = true
        private var skip = 0
        private var counted = 0

        init(counter: Counter) {
            self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = Self.unwrapInboundIn(data)
            self.pending.writeBuffer(&incoming)
            if self.inHeaders {
                let view = self.pending.readableBytesView
                guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
                self.pending.moveReaderIndex(to: end.upperBound)
                self.inHeaders = false
            }
            while true {
                if self.skip > 0 {
                    let step = min(self.skip, self.pending.readableBytes)
                    self.pending.moveReaderIndex(forwardBy: step)
                    self.skip -= step
                    if self.skip > 0 { break }
                }
                guard self.pending.readableBytes >= 2,
                    let second = self.pending.getInteger(at: self.pending.readerIndex + 1, as: UInt8.self)
                else { break }
                let lengthCode = Int(second & 0x7F)
                let headerLength = lengthCode == 126 ? 4 : lengthCode == 127 ? 10 : 2
                guard self.pending.readableBytes >= headerLength else { break }
                let length: Int
                switch lengthCode {
                case 126: length = Int(self.pending.getInteger(at: self.pending.readerIndex + 2, as: UInt16.self)!)
                case 127: length = Int(self.pending.getInteger(at: self.pending.readerIndex + 2, as: UInt64.self)!)
                default: length = lengthCode
                }
                self.pending.moveReaderIndex(forwardBy: headerLength)
                self.skip = length
                self.counted += 1
            }
            self.pending.discardReadBytes()
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            self.counter.value.store(self.counted, ordering: .relaxed)
        }
    }
}
