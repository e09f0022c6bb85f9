import Foundation
import Testing

@testable import TickTape

/// Bars from the fixture's trades equal an independent computation (`JSONSerialization` and
/// Foundation's `Decimal`, grouped by hand).
@Suite struct BarAggregatorTests {
    struct Expected {
        var open = "", high = "", low = "", close = ""
        var volume = Decimal(0), quote = Decimal(0), takerBuy = Decimal(0)
        var trades = 0
    }

    static func independent(_ lines: RecordedLines, intervalMs: Int64) -> [(Int64, Expected)] {
        var bars: [Int64: Expected] = [:]
        for line in lines.lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.frame.utf8)) as? [String: Any],
                let data = object["data"] as? [String: Any], data["e"] as? String == "trade"
            else { continue }
            if let x = data["X"] as? String, x != "MARKET" { continue }
            let p = data["p"] as! String
            let q = data["q"] as! String
            let t = (data["T"] as! NSNumber).int64Value
            let start = t / intervalMs * intervalMs
            var b = bars[start] ?? Expected()
            let price = Decimal(string: p)!
            if b.trades == 0 {
                b.open = p
                b.high = p
                b.low = p
            }
            if price > Decimal(string: b.high)! { b.high = p }
            if price < Decimal(string: b.low)! { b.low = p }
            b.close = p
            b.volume += Decimal(string: q)!
            b.quote += price * Decimal(string: q)!
            if (data["m"] as! Bool) == false { b.takerBuy += Decimal(string: q)! }
            b.trades += 1
            bars[start] = b
        }
        return bars.sorted { $0.key < $1.key }
    }

    static func check(_ fixture: String, interval: String) throws -> Int {
        let lines = try RecordedLines(path: RecordedLines.fixturePath(fixture), keep: { $0.contains("\"e\":\"trade\"") })
        let bi = try #require(BarInterval(interval))
        var aggregator = BarAggregator(symbol: "BTCUSDT", intervals: [bi])
        var bars: [Bar] = []
        var trade = TradePrint()
        for line in lines.lines where trade.parse(line.frame) {
            aggregator.add(trade) { bars.append($0) }
        }
        aggregator.flush { bars.append($0) }
        let expected = independent(lines, intervalMs: bi.milliseconds)
        #expect(bars.count == expected.count)
        #expect(aggregator.lateTrades == 0)
        for (bar, (start, e)) in zip(bars, expected) {
            let fields = bar.csvLine.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(bar.openTime == start)
            #expect([fields[4], fields[5], fields[6], fields[7]] == [e.open, e.high, e.low, e.close])
            #expect(Decimal(string: fields[8]) == e.volume)
            #expect(Decimal(string: fields[9]) == e.quote)
            #expect(Int(fields[10]) == e.trades)
            #expect(Decimal(string: fields[11]) == e.takerBuy)
            var vwap = e.quote / e.volume
            var rounded = Decimal()
            NSDecimalRound(&rounded, &vwap, 8, .plain)
            #expect(Decimal(string: fields[12]) == rounded, "\(fields[12]) vs \(rounded)")
            #expect(fields[12].split(separator: ".").last?.count == 8)
        }
        return bars.count
    }

    @Test func usdmOneSecondBars() throws {
        #expect(try Self.check("usdm_btcusdt_depth_trades", interval: "1s") > 30)
    }

    @Test func spotOneSecondAndOneMinuteBars() throws {
        #expect(try Self.check("spot_btcusdt_depth_trades", interval: "1s") > 100)
        #expect(try Self.check("spot_btcusdt_depth_trades", interval: "1m") >= 2)
    }

    @Test func barsCloseOnTradeTimeAndLateTradesAreCounted() throws {
        var aggregator = BarAggregator(symbol: "X", intervals: [BarInterval("1s")!, BarInterval("1m")!])
        var closed: [Bar] = []
        func trade(_ t: Int64, _ p: String, _ q: String, maker: Bool = false) -> TradePrint {
            var tp = TradePrint()
            tp.price = FixedDecimal(p)!
            tp.quantity = FixedDecimal(q)!
            tp.tradeTime = t
            tp.buyerIsMaker = maker
            return tp
        }
        aggregator.add(trade(1_000, "10.0", "1.0")) { closed.append($0) }
        aggregator.add(trade(1_999, "12.0", "0.5", maker: true)) { closed.append($0) }
        #expect(closed.isEmpty)
        aggregator.add(trade(2_000, "11.0", "2.0")) { closed.append($0) }
        #expect(closed.count == 1)
        let bar = try #require(closed.first)
        #expect(bar.csvLine == "X,1s,1000,1999,10.0,12.0,10.0,12.0,1.5,16.00,2,1.0,10.66666667,0,0")
        aggregator.add(trade(1_500, "9.0", "1.0")) { closed.append($0) }
        #expect(aggregator.lateTrades == 1)
        aggregator.flush { closed.append($0) }
        #expect(closed.map(\.interval.description) == ["1s", "1s", "1m"])
        #expect(closed.last?.trades == 4)
    }
}
