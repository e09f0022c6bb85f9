import NIOCore
import TickTape

/// Frames of the project's recording fixture, `Tests/TickTapeTests/Fixtures/usdm_btcusdt_head.gz`:
/// the first 2,000 lines (`<receive ns> <frame>`) of a real USD-M BTCUSDT capture, 1,483 of
/// them bookTicker. Read with the engine's own gzip decoder when a benchmark first needs it.
enum Fixture {
    /// Located from this source file, so the benchmark runs from any working directory.
    static let path: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Benchmarks/HotPath/Fixture.swift
        return parts.joined(separator: "/") + "/Tests/TickTapeTests/Fixtures/usdm_btcusdt_head.gz"
    }()

    /// Every frame of the recording (bookTicker, trade, depth and one REST snapshot line).
    static let allFrames: [[UInt8]] = load()

    /// The bookTicker frames, as Binance sent them.
    static let bookTickerFrames: [[UInt8]] = allFrames.filter {
        $0.starts(with: #"{"stream":"btcusdt@bookTicker""#.utf8)
    }

    private static func load() -> [[UInt8]] {
        do {
            let compressed = try DurableFile.readAll(path)
            let decoder = try GzipDecoder()
            var text: [UInt8] = []
            try compressed.withUnsafeBytes { raw in
                try decoder.decompress(raw) { text.append(contentsOf: $0) }
            }
            try decoder.finish()
            return text.split(separator: UInt8(ascii: "\n")).compactMap { line in
                guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
                return Array(line[line.index(after: space)...])
            }
        } catch {
            fatalError("cannot read the benchmark fixture \(path): \(error)")
        }
    }
}

/// `count` real bookTicker messages in NIO buffers, as a session hands them to its ring.
///
/// Before each measured batch, ``renumber()`` gives every message a fresh update id (`u`,
/// rewritten in place, same width), strictly increasing across batches: the merger then sees
/// new messages in the steady state instead of duplicates of the previous batch. Renumbering
/// runs outside the measured region.
final class MessagePool {
    private(set) var buffers: [ByteBuffer] = []
    /// Receive stamp of each message's first copy: its own event time plus 1.8 ms, so the
    /// latencies telemetry records look like the real ones.
    private(set) var receivedAt: [Int64] = []
    private var idOffsets: [Int] = []
    private var nextID: Int64 = 5_200_000_000_000
    static let idDigits = 13

    var count: Int { buffers.count }

    init(count: Int) {
        let templates = Fixture.bookTickerFrames.filter { Self.idOffset(in: $0) != nil }
        precondition(!templates.isEmpty, "no bookTicker frame with a 13-digit u in the fixture")
        buffers.reserveCapacity(count)
        for i in 0..<count {
            let frame = templates[i % templates.count]
            buffers.append(ByteBuffer(bytes: frame))
            idOffsets.append(Self.idOffset(in: frame)!)
            let eventTime = frame.withUnsafeBytes { FrameScanner.scan($0).eventTime } ?? 1_723_161_256_313
            receivedAt.append(eventTime * 1_000_000 + 1_800_000)
        }
        renumber()
    }

    /// Where the 13 digits of `"u":` start, if the frame has them.
    static func idOffset(in frame: [UInt8]) -> Int? {
        let key = Array(#""u":"#.utf8)
        guard frame.count > key.count + idDigits else { return nil }
        for i in 0...(frame.count - key.count - idDigits) where frame[i..<(i + key.count)].elementsEqual(key) {
            let start = i + key.count
            let end = start + idDigits
            guard frame[start..<end].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), end < frame.count,
                frame[end] == UInt8(ascii: ",")
            else { return nil }
            return start
        }
        return nil
    }

    /// Gives every message the next id, in pool order.
    func renumber() {
        for i in buffers.indices {
            var v = nextID
            nextID += 1
            let offset = idOffsets[i]
            buffers[i].withUnsafeMutableReadableBytes { raw in
                var j = offset + Self.idDigits - 1
                while j >= offset {
                    raw[j] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                    v /= 10
                    j -= 1
                }
            }
        }
    }
}
