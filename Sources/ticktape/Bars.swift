import ArgumentParser
import TickTape

/// `ticktape bars`: OHLC bars of one symbol from recorded trades, as CSV.
struct Bars: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "OHLC bars of a symbol from the trades (or aggTrades) in captures or recordings, as CSV.",
        discussion: """
            Bars are aligned to the epoch and closed on trade time T, like Binance's klines; the last \
            bar may be partial. Only one of trade and aggTrade is used: the first seen for the symbol.
            """)

    @Argument(help: "Segments, recordings or directories (read in name order).")
    var paths: [String]

    @Option(help: "Symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "Bar length: 1s, 5s, 1m, 1h, 1d, …")
    var interval: String = "1m"

    @Option(help: "First bar start included (UTC ISO 8601 or ns; compared with trade time).")
    var from: InstantArgument?

    @Option(help: "Bars starting at or after this are left out (UTC ISO 8601 or ns).")
    var to: InstantArgument?

    func validate() throws {
        if BarInterval(interval) == nil { throw ValidationError("--interval must look like 1s, 1m, 1h or 1d") }
    }

    func run() throws {
        let found = RecordingReader.files(paths)
        for problem in found.problems { printError(problem) }
        guard !found.files.isEmpty else {
            printError("no recordings found under \(paths.joined(separator: " "))")
            throw ExitCode(1)
        }
        let target = ShortName(symbol, uppercase: true)
        var aggregator = BarAggregator(symbol: symbol, intervals: [BarInterval(interval)!])
        let fromMs = from.map { $0.nanos / 1_000_000 } ?? .min
        let toMs = to.map { $0.nanos / 1_000_000 } ?? .max
        var trade = TradePrint()
        var aggregate: Bool?
        print(Bar.csvHeader)
        let emit: (Bar) -> Void = { bar in
            if bar.openTime >= fromMs && bar.openTime < toMs { print(bar.csvLine) }
        }
        for path in found.files {
            try RecordingReader.forEachLine(path) { _, frame in
                guard trade.parse(frame), trade.symbol == target else { return .more }
                if aggregate == nil { aggregate = trade.isAggregate }
                guard trade.isAggregate == aggregate else { return .more }
                aggregator.add(trade, closed: emit)
                return .more
            }
        }
        aggregator.flush(emit)
        if aggregator.lateTrades > 0 { printError("\(aggregator.lateTrades) trade(s) older than their open bar left out") }
    }
}
