import Foundation
import Testing

@testable import TickTape
@testable import TickTapeTools

@Suite struct ReportTests {
    @Test func aCaptureFileChartsTheMergedStreamWithItsNegativeSkew() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = "\(dir.path)/rec.tape"
        let text = try recordedLines().map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let table = try ArrivalsTable.read(path: path)
        #expect(!table.isArrivals && table.series == ["merged"])
        #expect(table.messages > 1000)
        let p50 = try #require(LatencyDistribution(label: "merged", samples: table.latency[0]).quantile(0.5))
        #expect(p50 < -1200 && p50 > -1300, "latency p50 \(p50) ms")
        let svg = LatencyChart.svg(table, title: "rec.tape")
        #expect(svg.contains("the host clock is behind the exchange's"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
    }

    @Test func anArrivalsFileWithAMissingCopyCountsOnlyTheCopiesThatCame() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = "\(dir.path)/x.arrivals.csv"
        try """
            stream,id,E,arrival_ns_0,arrival_ns_1
            btcusdt@bookTicker,1,1700000000000,1700000000001000000,1700000000001500000
            btcusdt@bookTicker,2,1700000000001,1700000000002000000,
            btcusdt@bookTicker,3,1700000000002,1700000000003400000,1700000000003000000

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let t = try ArrivalsTable.read(path: path)
        #expect(t.messages == 3)
        #expect(t.wins == [2, 1])
        #expect(t.latency[0] == [1, 1, 1.4])
        #expect(t.lag[1] == [500, 0])
        #expect(t.lag[0] == [0, 0, 400])
    }

    @Test func aFileWithoutMessagesIsAnErrorNotAnEmptyChart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try "stream,id,E,arrival_ns_0\n".write(toFile: "\(dir.path)/e.csv", atomically: true, encoding: .utf8)
        #expect(throws: ReportError.self) { try ArrivalsTable.read(path: "\(dir.path)/e.csv") }
    }
}
