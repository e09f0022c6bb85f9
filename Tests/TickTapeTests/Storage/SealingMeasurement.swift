import Crypto
import Foundation
import Testing

@testable import TickTape

/// What sealing costs and buys, on the recording fixture (USD-M BTCUSDT depth, hftbacktest
/// format). The ratio check always runs; the throughput figures are opt-in measurements like
/// `CaptureMeasurement` (`TICKTAPE_MEASURE=1 swift test --filter SealingMeasurement`), since
/// speed belongs in reports, not in timed assertions on a shared machine.
@Suite(.serialized) struct SealingMeasurement {
    static func fixture() throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "usdm_btcusdt_head", withExtension: "gz", subdirectory: "Fixtures"))
        return try gunzip(url.path)
    }

    static func gzip(_ data: [UInt8], level: Int32, flushEvery: Int? = nil) throws -> Int {
        let encoder = try GzipEncoder(level: level)
        var out = 0
        try data.withUnsafeBytes { raw in
            let step = flushEvery ?? raw.count
            var offset = 0
            while offset < raw.count {
                let n = min(step, raw.count - offset)
                try encoder.compress(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]), syncFlush: flushEvery != nil) {
                    out += $0.count
                }
                offset += n
            }
        }
        try encoder.finish { out += $0.count }
        return out
    }

    @Test func theRecordingFixtureCompressesAtLeastFivefoldAtLevel6() throws {
        let raw = try Self.fixture()
        let compressed = try Self.gzip(raw, level: 6)
        let ratio = Double(raw.count) / Double(compressed)
        print("sealing: fixture \(raw.count) bytes → \(compressed) bytes at gzip-6, ratio \(String(format: "%.2f", ratio))")
        #expect(ratio > 5)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["TICKTAPE_MEASURE"] != nil))
    func gzipThroughputAndTheCostOfSyncFlushing() throws {
        let raw = try Self.fixture()
        // A "typical segment": the fixture repeated to 32 MiB (deflate's window is 32 KiB, far
        // smaller than the 600 KiB fixture, so repetition does not flatter the ratio).
        var big: [UInt8] = []
        while big.count < 32 << 20 { big += raw }
        var figures: [String] = []
        for level: Int32 in [1, 6, 9] {
            let start = ContinuousClock.now
            let out = try Self.gzip(big, level: level)
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            figures.append(
                "gzip-\(level): \(String(format: "%.1f", Double(big.count) / 1e6 / seconds)) MB/s, ratio \(String(format: "%.2f", Double(big.count) / Double(out)))"
            )
        }
        // Streaming gzip with a sync flush per writer batch: at the fixture's own rate (~70 KB/s)
        // a 100 ms batch is ~7 KB; at 20k bookTicker msg/s (~3.4 MB/s) it is ~340 KB.
        for batch in [7_000, 64_000, 340_000] {
            let start = ContinuousClock.now
            let out = try Self.gzip(big, level: 6, flushEvery: batch)
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            figures.append(
                "gzip-6 sync flush every \(batch) B: \(String(format: "%.1f", Double(big.count) / 1e6 / seconds)) MB/s, ratio \(String(format: "%.2f", Double(big.count) / Double(out)))"
            )
        }
        var h = SHA256()
        let start = ContinuousClock.now
        big.withUnsafeBytes { h.update($0) }
        _ = h.finalize()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        figures.append("SHA-256: \(String(format: "%.1f", Double(big.count) / 1e6 / seconds)) MB/s")
        for f in figures { print("sealing measurement: \(f)") }
        #expect(figures.count == 7)
    }
}
