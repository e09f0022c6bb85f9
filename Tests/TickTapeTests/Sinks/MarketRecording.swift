import Foundation

/// A synthetic recording (`<ns> <combined frame>` lines) of bookTicker, trade and aggTrade on two
/// symbols, with moving prices and real Binance field names, for the simulator to replay.
enum MarketRecording {
    static let streams = "btcusdt@bookTicker/btcusdt@trade/btcusdt@aggTrade/ethusdt@bookTicker/ethusdt@trade"

    /// Writes `count` lines, `intervalNanos` apart in receive time and exchange time (×2, so a
    /// short recording spans several 1 s bars and snapshot buckets).
    static func write(path: String, count: Int, intervalNanos: Int64) throws {
        var text = ""
        text.reserveCapacity(count * 220)
        var ns: Int64 = 1_763_700_000_000_000_000
        var ms: Int64 = 1_763_700_000_000
        var u: [String: Int64] = ["BTCUSDT": 8_000_000_000, "ETHUSDT": 5_000_000_000]
        var t: [String: Int64] = ["BTCUSDT": 6_000_000_000, "ETHUSDT": 3_000_000_000]
        var a: Int64 = 2_500_000_000
        var generator = SystemRandomNumberGenerator()
        for i in 0..<count {
            let symbol = i % 5 < 3 ? "BTCUSDT" : "ETHUSDT"
            let lower = symbol.lowercased()
            let base: Int64 = symbol == "BTCUSDT" ? 9_700_000 : 310_000
            let tick = base + Int64(i % 97) - 48
            let price = "\(tick / 100).\(String(format: "%02d", tick % 100))"
            let qty = "0.\(String(format: "%03d", Int.random(in: 1...999, using: &generator)))"
            switch i % 4 {
            case 0, 1:
                u[symbol]! += Int64.random(in: 1...9, using: &generator)
                let ask = tick + 1
                text += #"\#(ns) {"stream":"\#(lower)@bookTicker","data":{"e":"bookTicker","u":\#(u[symbol]!),"s":"\#(symbol)","b":"\#(price)","B":"\#(qty)","a":"\#(ask / 100).\#(String(format: "%02d", ask % 100))","A":"1.250","T":\#(ms),"E":\#(ms + 1)}}"#
            case 2:
                t[symbol]! += 1
                text += #"\#(ns) {"stream":"\#(lower)@trade","data":{"e":"trade","E":\#(ms + 1),"T":\#(ms),"s":"\#(symbol)","t":\#(t[symbol]!),"p":"\#(price)","q":"\#(qty)","X":"MARKET","m":\#(i % 3 == 0)}}"#
            default:
                if symbol == "BTCUSDT" {
                    a += 1
                    text += #"\#(ns) {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":\#(ms + 1),"a":\#(a),"s":"BTCUSDT","p":"\#(price)","q":"\#(qty)","f":\#(a * 3),"l":\#(a * 3 + 2),"T":\#(ms),"m":\#(i % 2 == 0)}}"#
                } else {
                    t[symbol]! += 1
                    text += #"\#(ns) {"stream":"ethusdt@trade","data":{"e":"trade","E":\#(ms + 1),"T":\#(ms),"s":"ETHUSDT","t":\#(t[symbol]!),"p":"\#(price)","q":"\#(qty)","X":"MARKET","m":false}}"#
                }
            }
            text += "\n"
            ns += intervalNanos
            ms += max(1, 2 * intervalNanos / 1_000_000)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// What a capture holds, per table, computed from its files alone (the test's ground truth).
struct CapturedRows: Equatable {
    var bookTickers: Set<String> = []
    var trades: Set<String> = []
    var aggTrades: Set<String> = []
    /// `SYMBOL:bucket-start-µs` of the first ticker per 1 s of `E`.
    var snapshotBuckets: Set<String> = []
    var lines = 0

    init(directory: String) throws {
        for line in try readCaptureLines(directory) {
            lines += 1
            guard let (_, frame) = splitLine(line),
                let object = try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any],
                let data = object["data"] as? [String: Any], let event = data["e"] as? String, let symbol = data["s"] as? String
            else { continue }
            switch event {
            case "bookTicker":
                bookTickers.insert("\(symbol):\(data["u"] as! Int)")
                let e = (data["E"] as! Int) * 1000
                snapshotBuckets.insert("\(symbol):\(e - e % 1_000_000)")
            case "trade": trades.insert("\(symbol):\(data["t"] as! Int)")
            case "aggTrade": aggTrades.insert("\(symbol):\(data["a"] as! Int)")
            default: break
            }
        }
    }

    /// The same sets as PostgreSQL holds them (`psql`), with the row counts (duplicates show as count > set).
    static func inDatabase(_ pg: PostgresServer) throws -> (rows: CapturedRows, counts: [String: Int]) {
        var rows = CapturedRows()
        rows.bookTickers = Set(try pg.query("SELECT symbol || ':' || update_id FROM book_ticker"))
        rows.trades = Set(try pg.query("SELECT symbol || ':' || trade_id FROM trades"))
        rows.aggTrades = Set(try pg.query("SELECT symbol || ':' || agg_trade_id FROM agg_trades"))
        rows.snapshotBuckets = Set(
            try pg.query("SELECT symbol || ':' || (extract(epoch FROM ts) * 1000000)::int8 FROM snapshots"))
        var counts: [String: Int] = [:]
        for table in ["book_ticker", "trades", "agg_trades", "snapshots", "bars"] {
            counts[table] = try pg.count("SELECT count(*) FROM \(table)")
        }
        return (rows, counts)
    }

    private init() {}
}
