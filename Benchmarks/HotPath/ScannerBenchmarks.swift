import Benchmark
import TickTape

/// The field scanner on the recording's frames, one frame per message.
func registerScannerBenchmarks() {
    Benchmark("Scanner/bookTicker") { benchmark in
        scanBatch(packedBookTicker, benchmark)
    }
    Benchmark("Scanner/bookTicker + UTF-8 check") { benchmark in
        // What the merger does to every copy: scan, then validate (UTF8Validation).
        scanBatch(packedBookTicker, benchmark, validate: true)
    }
    Benchmark("Scanner/mixed recording (bookTicker, trade, depth)") { benchmark in
        scanBatch(packedAll, benchmark)
    }
}

/// Frames laid out back to back in one allocation, so the loop measures the scanner and not
/// array-of-arrays access.
final class PackedFrames: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    let ranges: [Range<Int>]

    init(_ frames: [[UInt8]]) {
        let total = frames.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
        var ranges: [Range<Int>] = []
        var at = 0
        for f in frames {
            f.withUnsafeBytes { storage.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            ranges.append(at..<(at + f.count))
            at += f.count
        }
        self.storage = storage
        self.ranges = ranges
    }

    @inline(__always)
    func frame(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[ranges[i]])
    }

    deinit { storage.deallocate() }
}

/// Where the next batch starts, so successive batches walk the whole recording.
private nonisolated(unsafe) var cursor = 0

private func scanBatch(_ frames: PackedFrames, _ benchmark: Benchmark, validate: Bool = false) {
    let n = frames.ranges.count
    var i = cursor % n
    measured(benchmark) {
        for _ in benchmark.scaledIterations {
            let bytes = frames.frame(i)
            blackHole(FrameScanner.scan(bytes))
            if validate { blackHole(UTF8Validation.isValid(bytes)) }
            i += 1
            if i == n { i = 0 }
        }
    }
    cursor = i
}

private let packedBookTicker = PackedFrames(Fixture.bookTickerFrames)
private let packedAll = PackedFrames(Fixture.allFrames)
