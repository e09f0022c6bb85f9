import Foundation
import Testing

@testable import TickTape

/// The `<recv_ns> <frame>` lines of a gzip recording (fixture slice or full shared file).
struct RecordedLines {
    var lines: [(stamp: Int64, frame: String)] = []

    static let sharedUSDM = "/work/shared/data/binance/hftbacktest/usdm/btcusdt_20240808.gz"
    static let sharedSpot = "/work/shared/data/binance/hftbacktest/spot/btcusdt_20240808.gz"

    static func fixturePath(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "gz")).path
    }

    /// Lines of `path`, keeping only those `keep` accepts (cheap pre-filter on the text).
    init(path: String, keep: (Substring) -> Bool = { _ in true }) throws {
        let text = String(decoding: try gunzip(path), as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let stamp = Int64(line[..<space]) else { continue }
            let frame = line[line.index(after: space)...]
            if keep(frame) { lines.append((stamp, String(frame))) }
        }
    }

    static func isBookLine(_ frame: Substring) -> Bool {
        frame.contains("depthUpdate") || frame.hasPrefix("{\"lastUpdateId\"") || frame.hasPrefix("{\"snapshot\"")
    }
}

extension DepthDiff {
    mutating func parse(_ text: String) -> Bool {
        var s = text
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}

extension TradePrint {
    mutating func parse(_ text: String) -> Bool {
        var s = text
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}
