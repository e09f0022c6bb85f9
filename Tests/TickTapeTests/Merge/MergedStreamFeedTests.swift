import Testing

@testable import TickTape

@Suite struct MergedStreamFeedTests {
    /// What a reader decodes from the feed's ring: `name:id` per message, `lost:n` per loss.
    static func drain(_ feed: MergedStreamFeed, names: inout [UInt16: String]) -> [String] {
        var seen: [String] = []
        while feed.ring.pop({ record in
            if record.lostBefore > 0 { seen.append("lost:\(record.lostBefore)") }
            switch MergedStreamFeed.Kind(rawValue: record.kind) {
            case .stream: names[record.stream] = String(decoding: record.payload, as: UTF8.self)
            case .merged: seen.append("\(names[record.stream] ?? "?"):\(record.id)")
            case .latePlaced: seen.append("late \(names[record.stream] ?? "?"):\(record.id)")
            default: seen.append("other")
            }
        }) {}
        return seen
    }

    static func send(_ feed: MergedStreamFeed, _ stream: String, _ id: Int64, bytes: Int = 100) {
        let frame = [UInt8](repeating: 0x61, count: bytes)
        frame.withUnsafeBytes { feed.merged(stream: stream, id: id, receivedAt: id, frame: $0) }
    }

    @Test func streamsAreAnnouncedOnceAndUnwantedOnesNeverSent() {
        let feed = MergedStreamFeed(capacity: 4096, accepts: { $0.contains("depth") })
        var names: [UInt16: String] = [:]
        Self.send(feed, "btcusdt@depth", 1)
        Self.send(feed, "btcusdt@trade", 1)
        Self.send(feed, "ethusdt@depth", 5)
        Self.send(feed, "btcusdt@depth", 2)
        #expect(Self.drain(feed, names: &names) == ["btcusdt@depth:1", "ethusdt@depth:5", "btcusdt@depth:2"])
    }

    /// A full ring drops and counts, never waits; the reader learns how many it missed before
    /// the next record, so a consumer can resync instead of applying a broken chain.
    @Test func aFullRingTellsTheReaderWhatItMissed() {
        let feed = MergedStreamFeed(capacity: 4096)
        var names: [UInt16: String] = [:]
        for id: Int64 in 1...40 { Self.send(feed, "s", id) }
        let fitted = 4096 / 136 - 1  // one record's room went to the stream's announcement
        #expect(feed.dropped.load(ordering: .relaxed) == 40 - fitted)
        let first = Self.drain(feed, names: &names)
        #expect(first == (1...Int64(fitted)).map { "s:\($0)" })
        Self.send(feed, "s", 41)
        #expect(Self.drain(feed, names: &names) == ["lost:\(40 - fitted)", "s:41"])
    }
}
