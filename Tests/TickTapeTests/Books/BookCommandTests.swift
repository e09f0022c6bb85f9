import Foundation
import Testing

@testable import TickTape

/// `ticktape book` and `ticktape bars` (the built executable) end to end on the fixtures.
@Suite struct BookCommandTests {
    func tool(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runTool(try DaemonProcessTests.binary("ticktape"), arguments)
    }

    /// The independent rebuild's book after every line received at or before `at`.
    static func naiveBook(_ lines: RecordedLines, market: NaiveBook.Market, at: Int64) -> NaiveBook {
        var naive = NaiveBook(market: market)
        for line in lines.lines where line.stamp <= at { naive.feed(line.frame) }
        return naive
    }

    static func depthJSON(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("{\"lastUpdateId\"") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func bookOnTheUSDMRecordingEqualsTheIndependentRebuild() async throws {
        let path = try RecordedLines.fixturePath("usdm_btcusdt_depth_trades")
        let lines = try RecordedLines(path: path, keep: RecordedLines.isBookLine)
        let at = lines.lines[400].stamp
        let result = try await tool(["book", path, "--symbol", "BTCUSDT", "--at", String(at), "--depth", "5000"])
        #expect(result.status == 0, "\(result.output)")
        let json = try Self.depthJSON(result.output)
        let naive = Self.naiveBook(lines, market: .usdm, at: at)
        let bids = (json["bids"] as! [[String]]).map { ($0[0], $0[1]) }
        let asks = (json["asks"] as! [[String]]).map { ($0[0], $0[1]) }
        #expect(!bids.isEmpty && !asks.isEmpty)
        #expect(NaiveBook.differences(bids, naive.bids) == 0)
        #expect(NaiveBook.differences(asks, naive.asks) == 0)
        #expect((json["lastUpdateId"] as! NSNumber).int64Value == naive.lastApplied)
    }

    @Test func bookAtAnISOInstantWithDepthLimitOnSpot() async throws {
        let path = try RecordedLines.fixturePath("spot_btcusdt_depth_trades")
        // 2024-08-08T23:54:30Z = 1723161270 s.
        let result = try await tool(["book", path, "--symbol", "btcusdt", "--at", "2024-08-08T23:54:30Z", "--depth", "3"])
        #expect(result.status == 0, "\(result.output)")
        let json = try Self.depthJSON(result.output)
        let lines = try RecordedLines(path: path, keep: RecordedLines.isBookLine)
        let naive = Self.naiveBook(lines, market: .spot, at: 1_723_161_270_000_000_000)
        let bids = json["bids"] as! [[String]]
        #expect(bids.count == 3)
        let best = naive.bids.keys.sorted { NaiveBook.less($1, $0) }.prefix(3)
        #expect(bids.map { $0[0] } == Array(best))
        #expect(bids.allSatisfy { $0[0].split(separator: ".").last?.count == 8 })
    }

    @Test func bookFromACaptureWithASnapshotLine() async throws {
        // A ticktape-style capture: the REST snapshot as a BookSnapshotLine, then the diffs.
        let path = try RecordedLines.fixturePath("usdm_btcusdt_depth_trades")
        let lines = try RecordedLines(path: path, keep: RecordedLines.isBookLine)
        let dir = try TemporaryDirectory("ticktape-book")
        defer { dir.cleanup() }
        var text = ""
        for line in lines.lines {
            if line.frame.hasPrefix("{\"lastUpdateId\"") {
                let frame = try #require(BookSnapshotLine.encode(symbol: "BTCUSDT", market: .usdm, restBody: line.frame))
                text += "\(line.stamp) \(String(decoding: frame, as: UTF8.self))\n"
            } else {
                text += "\(line.stamp) \(line.frame)\n"
            }
        }
        let file = dir.path + "/cap-20240808T235415.000Z-000.tape"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let at = lines.lines.last!.stamp
        let result = try await tool(["book", dir.path, "--symbol", "BTCUSDT", "--at", String(at), "--depth", "10000"])
        #expect(result.status == 0, "\(result.output)")
        let json = try Self.depthJSON(result.output)
        let naive = Self.naiveBook(lines, market: .usdm, at: at)
        #expect(NaiveBook.differences((json["bids"] as! [[String]]).map { ($0[0], $0[1]) }, naive.bids) == 0)
        #expect(NaiveBook.differences((json["asks"] as! [[String]]).map { ($0[0], $0[1]) }, naive.asks) == 0)
    }

    @Test func bookBeforeTheSnapshotIsNotSynced() async throws {
        let path = try RecordedLines.fixturePath("usdm_btcusdt_depth_trades")
        let lines = try RecordedLines(path: path, keep: RecordedLines.isBookLine)
        let result = try await tool(["book", path, "--symbol", "BTCUSDT", "--at", String(lines.lines[1].stamp)])
        #expect(result.status != 0)
        #expect(result.output.contains("not synced"))
    }

    @Test func barsPrintsCSVMatchingTheLibrary() async throws {
        let path = try RecordedLines.fixturePath("spot_btcusdt_depth_trades")
        let result = try await tool(["bars", path, "--symbol", "BTCUSDT", "--interval", "1m"])
        #expect(result.status == 0, "\(result.output)")
        let csv = result.output.split(separator: "\n").map(String.init)
        #expect(csv.first == Bar.csvHeader)
        let trades = try RecordedLines(path: path, keep: { $0.contains("\"e\":\"trade\"") })
        let expected = BarAggregatorTests.independent(trades, intervalMs: 60_000)
        let rows = csv.dropFirst().filter { $0.hasPrefix("BTCUSDT,") }
        #expect(rows.count == expected.count)
        for (row, (start, e)) in zip(rows, expected) {
            let f = row.split(separator: ",").map(String.init)
            #expect(Int64(f[2]) == start)
            #expect(f[4] == e.open && f[7] == e.close && Int(f[10]) == e.trades)
        }
    }

    @Test func barsFromToSelectBars() async throws {
        let path = try RecordedLines.fixturePath("spot_btcusdt_depth_trades")
        let result = try await tool(["bars", path, "--symbol", "BTCUSDT", "--interval", "1s", "--from", "2024-08-08T23:54:30Z", "--to", "2024-08-08T23:54:35Z"])
        #expect(result.status == 0, "\(result.output)")
        let rows = result.output.split(separator: "\n").filter { $0.hasPrefix("BTCUSDT,") }
        #expect(!rows.isEmpty && rows.count <= 5)
        #expect(rows.allSatisfy { let t = Int64($0.split(separator: ",")[2])!; return t >= 1_723_161_270_000 && t < 1_723_161_275_000 })
    }
}
