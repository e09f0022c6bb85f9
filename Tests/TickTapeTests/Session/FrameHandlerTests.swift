import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import TickTape

/// `FrameHandler` on an `EmbeddedChannel`: what reaches the ring, in what order, and what the
/// session is told, with the loop's clock in the test's hands.
@Suite struct FrameHandlerTests {
    /// Records the session events a handler reports.
    final class Events: SessionEvents {
        var firstFrames = 0
        func serverClosed(_ channel: any Channel, code: UInt16?, reason: String) {}
        func failed(_ channel: any Channel, _ error: any Error) {}
        func firstFrame(_ channel: any Channel) { firstFrames += 1 }
        func serverShutdown(_ channel: any Channel) {}
        func skippedFrame(_ channel: any Channel, kind: String, payload: ByteBuffer) {}
    }

    static func text(_ s: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: s))
    }

    static func ticker(_ u: Int) -> String {
        #"{"stream":"btcusdt@bookTicker","data":{"u":\#(u),"s":"BTCUSDT","b":"1.0","B":"1","a":"2.0","A":"1"}}"#
    }

    static func drain(_ ring: SPSCRing<InboundFrame>) -> [String] {
        var out: [String] = []
        while let f = ring.pop() { out.append(String(buffer: f.payload)) }
        return out
    }

    /// A replacement is promoted by its first market-data frame; the reply to its SUBSCRIBE
    /// comes first and proves nothing (before the fix, that reply promoted it).
    @Test func aSubscribeReplyDoesNotPromoteAReplacement() throws {
        let ring = SPSCRing<InboundFrame>(capacity: 16)
        let events = Events()
        let channel = EmbeddedChannel(
            handler: FrameHandler(
                ring: ring, stamp: ReadStamp(), stats: ConnectionStatistics(index: 0), events: events,
                reportsFirstFrame: true))
        defer { _ = try? channel.finish() }
        try channel.writeInbound(Self.text(#"{"result":null,"id":1}"#))
        #expect(events.firstFrames == 0, "a control reply is not market data")
        try channel.writeInbound(Self.text(Self.ticker(1)))
        #expect(events.firstFrames == 1)
        try channel.writeInbound(Self.text(Self.ticker(2)))
        #expect(events.firstFrames == 1, "reported once")
    }

    /// A rotation that held more frames than the ring has room for: the release delivers every
    /// one, in order, as the merger makes room, with later frames behind them and reads held
    /// back meanwhile. Before the fix the release pushed them in one go and dropped the newest.
    @Test func releasingMoreHeldFramesThanTheRingHoldsDropsNothing() throws {
        let ring = SPSCRing<InboundFrame>(capacity: 8)
        let stats = ConnectionStatistics(index: 0)
        let handler = FrameHandler(ring: ring, stamp: ReadStamp(), stats: stats, events: Events(), reportsFirstFrame: true)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(ReadCounter(), handler)
        defer { _ = try? channel.finish() }
        for u in 0..<30 { try channel.writeInbound(Self.text(Self.ticker(u))) }
        #expect(ring.count == 0, "held until the old link is gone")

        handler.releaseHeld()
        var delivered = Self.drain(ring)
        #expect(delivered.count == 8, "a ring's worth at once")
        // More arrives while the burst drains: it queues behind the held frames.
        for u in 30..<33 { try channel.writeInbound(Self.text(Self.ticker(u))) }
        // 25 still queued, more than the ring holds: the next read waits.
        channel.read()
        let readsBefore = channel.readsRequested
        for _ in 0..<10 {
            channel.embeddedEventLoop.advanceTime(by: FrameHandler.drainRetry)
            delivered += Self.drain(ring)
        }
        #expect(delivered == (0..<33).map(Self.ticker), "every frame once, in arrival order")
        #expect(stats.ringDrops.load(ordering: .relaxed) == 0)
        #expect(!handler.hasQueuedFrames)
        #expect(readsBefore == 0 && channel.readsRequested == 1, "the read held back during the drain went out after it")
        // Drained: frames go straight to the ring again.
        try channel.writeInbound(Self.text(Self.ticker(33)))
        #expect(Self.drain(ring) == [Self.ticker(33)])
    }

    /// A replacement that closes while still holding was never promoted: the old link delivered
    /// those copies, so they are discarded, not pushed behind the old link's newer ones.
    @Test func aLinkClosingWhileHoldingPushesNothing() throws {
        let ring = SPSCRing<InboundFrame>(capacity: 8)
        let stats = ConnectionStatistics(index: 0)
        let handler = FrameHandler(ring: ring, stamp: ReadStamp(), stats: stats, events: Events(), reportsFirstFrame: true)
        let channel = EmbeddedChannel(handler: handler)
        for u in 0..<3 { try channel.writeInbound(Self.text(Self.ticker(u))) }
        _ = try channel.finish()
        #expect(ring.count == 0)
        #expect(!handler.hasQueuedFrames)
        #expect(stats.ringDrops.load(ordering: .relaxed) == 0)
    }

    /// A link closing mid-drain counts what the ring never took as ring overflows (visible in
    /// `/metrics`), rather than losing it silently.
    @Test func aLinkClosingMidDrainCountsWhatItLost() throws {
        let ring = SPSCRing<InboundFrame>(capacity: 4)
        let stats = ConnectionStatistics(index: 0)
        let handler = FrameHandler(ring: ring, stamp: ReadStamp(), stats: stats, events: Events(), reportsFirstFrame: true)
        let channel = EmbeddedChannel(handler: handler)
        for u in 0..<10 { try channel.writeInbound(Self.text(Self.ticker(u))) }
        handler.releaseHeld()
        #expect(ring.count == 4)
        _ = try channel.finish()
        #expect(stats.ringDrops.load(ordering: .relaxed) == 6)
    }

    /// Market data, not control replies or garbage.
    @Test func marketDataIsTheExchangesEventsOnly() {
        #expect(FrameHandler.isMarketData(ByteBuffer(string: Self.ticker(7))))
        #expect(!FrameHandler.isMarketData(ByteBuffer(string: #"{"result":null,"id":1}"#)))
        #expect(!FrameHandler.isMarketData(ByteBuffer(string: "not json")))
    }
}

/// Counts the `read()` calls that reach the channel (EmbeddedChannel's head ignores them).
extension EmbeddedChannel {
    var readsRequested: Int { (try? pipeline.syncOperations.handler(type: ReadCounter.self).count) ?? 0 }
}

/// Sits at the head of a test pipeline and counts the reads requested through it.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var count = 0
    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}
