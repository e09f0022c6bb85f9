import Benchmark
import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// The order book (issue #13) on the USD-M depth@0ms recording: its REST snapshot loaded, then
/// its 773 real diffs applied over and over (re-applying the same absolute quantities keeps the
/// book at a steady size, as a live book is). Figures are per diff message, except
/// "level update", which is per price level. Goal: ≥ 2 M level updates/s, p99 ≤ 0.5 µs per
/// diff, 0 mallocs.
func registerBookBenchmarks() {
    Benchmark("Book/apply diff") { benchmark in
        let replay = BookReplay.shared
        var i = bookCursor
        measured(benchmark) {
            for _ in benchmark.scaledIterations {
                replay.book.apply(replay.diffs[i])
                i += 1
                if i == replay.diffs.count { i = 0 }
            }
        }
        bookCursor = i
        blackHole(replay.book.bestBid)
    }

    Benchmark("Book/parse + apply diff") { benchmark in
        let replay = BookReplay.shared
        var i = bookCursor
        measured(benchmark) {
            for _ in benchmark.scaledIterations {
                if replay.scratch.parse(replay.frames.frame(i)) { replay.book.apply(replay.scratch) }
                i += 1
                if i == replay.diffs.count { i = 0 }
            }
        }
        bookCursor = i
        blackHole(replay.book.bestBid)
    }

    Benchmark("Book/level update") { benchmark in
        let replay = BookReplay.shared
        var i = levelCursor
        let levels = replay.levels
        measured(benchmark) {
            for _ in benchmark.scaledIterations {
                let l = levels[i]
                replay.book.set(bid: l.bid, l.level.price, l.level.quantity)
                i += 1
                if i == levels.count { i = 0 }
            }
        }
        levelCursor = i
        blackHole(replay.book.bestBid)
    }

    // Per-diff latency: each diff timed on its own (CLOCK_MONOTONIC via the vDSO, about 20 ns
    // of the figure is the clock), the batch's p50 and p99 recorded as custom metrics.
    Benchmark(
        "Book/apply diff latency",
        configuration: .init(metrics: [diffP50, diffP99, .mallocCountTotal])
    ) { benchmark in
        let replay = BookReplay.shared
        var samples = [Int](repeating: 0, count: messagesPerIteration)
        var i = bookCursor
        benchmark.startMeasurement()
        for k in 0..<messagesPerIteration {
            let t0 = monotonicNanos()
            replay.book.apply(replay.diffs[i])
            samples[k] = monotonicNanos() - t0
            i += 1
            if i == replay.diffs.count { i = 0 }
        }
        benchmark.stopMeasurement()
        bookCursor = i
        samples.sort()
        benchmark.measurement(diffP50, samples[samples.count / 2])
        benchmark.measurement(diffP99, samples[samples.count * 99 / 100])
    }
}

let diffP50 = BenchmarkMetric.custom("diff apply p50 (ns)", polarity: .prefersSmaller, useScalingFactor: false)
let diffP99 = BenchmarkMetric.custom("diff apply p99 (ns)", polarity: .prefersSmaller, useScalingFactor: false)

private nonisolated(unsafe) var bookCursor = 0
private nonisolated(unsafe) var levelCursor = 0

func monotonicNanos() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// The recording's snapshot and diffs, parsed once; the book they are applied to.
final class BookReplay: @unchecked Sendable {
    static let shared = BookReplay()

    var book = OrderBook()
    var scratch = DepthDiff()
    let diffs: [DepthDiff]
    let frames: PackedFrames
    /// Every level of every diff, in order, with its side.
    let levels: [(bid: Bool, level: PriceLevel)]

    init() {
        let all = BookFixture.frames
        var diffs: [DepthDiff] = []
        var diffFrames: [[UInt8]] = []
        var message = DepthDiff()
        for frame in all {
            guard frame.withUnsafeBytes({ message.parse($0) }) else { continue }
            if message.isSnapshot {
                book.load(DepthSnapshot(message))
            } else {
                diffs.append(message)
                diffFrames.append(frame)
            }
        }
        self.diffs = diffs
        self.frames = PackedFrames(diffFrames)
        self.levels = diffs.flatMap { d in d.bids.map { (true, $0) } + d.asks.map { (false, $0) } }
        // One pass to reach the steady size before anything is measured.
        for d in diffs { book.apply(d) }
    }
}

/// `Tests/TickTapeTests/Fixtures/usdm_btcusdt_depth_trades.gz`: the USD-M recording's first
/// 2,300 lines without bookTicker (773 depth@0ms diffs, the REST snapshot, trades).
enum BookFixture {
    static let frames: [[UInt8]] = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let path = parts.joined(separator: "/") + "/Tests/TickTapeTests/Fixtures/usdm_btcusdt_depth_trades.gz"
        do {
            let compressed = try DurableFile.readAll(path)
            let decoder = try GzipDecoder()
            var text: [UInt8] = []
            try compressed.withUnsafeBytes { raw in try decoder.decompress(raw) { text.append(contentsOf: $0) } }
            try decoder.finish()
            return text.split(separator: UInt8(ascii: "\n")).compactMap { line in
                guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
                return Array(line[line.index(after: space)...])
            }
        } catch {
            fatalError("cannot read the book fixture: \(error)")
        }
    }()
}
