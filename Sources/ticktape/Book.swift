import ArgumentParser
import TickTape

/// `ticktape book`: one symbol's order book at an instant, rebuilt from recorded lines.
struct Book: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a symbol's order book at an instant from captures or hftbacktest recordings.",
        discussion: """
            Replays the recorded depth diffs and snapshots (ticktape snapshot lines, hftbacktest's bare \
            REST lines, partial-depth messages) of SYMBOL through the same synchronizer as the live \
            engine, up to and including the last line received at or before TIME, and prints the book \
            as Binance's depth JSON: {"lastUpdateId":…,"bids":[["p","q"],…],"asks":[…]}, prices and \
            quantities exactly as Binance wrote them. Fails if the book is not synced at TIME.
            """)

    @Argument(help: "Segments, recordings or directories (read in name order).")
    var paths: [String]

    @Option(help: "Symbol, e.g. BTCUSDT.")
    var symbol: String

    @Option(help: "UTC ISO 8601 (2024-08-08T23:54:30Z) or receive-time nanoseconds.")
    var at: InstantArgument

    @Option(help: "Levels per side to print.")
    var depth: Int = 1000

    @Option(help: "usdm or spot (default: inferred from the data).")
    var market: String?

    @Option(help: "Depth stream to follow, e.g. btcusdt@depth@100ms (default: the first seen).")
    var stream: String?

    func validate() throws {
        if let market, BookMarket(rawValue: market) == nil { throw ValidationError("--market must be usdm or spot") }
        if depth < 1 { throw ValidationError("--depth must be at least 1") }
    }

    func run() throws {
        let found = RecordingReader.files(paths)
        for problem in found.problems { printError(problem) }
        guard !found.files.isEmpty else {
            printError("no recordings found under \(paths.joined(separator: " "))")
            throw ExitCode(1)
        }
        var rebuilder = BookRebuilder(symbol: symbol, market: market.flatMap(BookMarket.init(rawValue:)), stream: stream)
        var lastStamp: Int64?
        files: for path in found.files {
            let more = try RecordingReader.forEachLine(path) { stamp, frame in
                guard stamp <= at.nanos else { return .stop }
                lastStamp = stamp
                rebuilder.feed(frame)
                return .more
            }
            if !more { break files }
        }
        guard let sync = rebuilder.synchronizer else {
            printError("no depth diffs of \(symbol.uppercased()) at or before \(at.nanos)")
            throw ExitCode(1)
        }
        let c = sync.counters
        printError(
            "\(symbol.uppercased()) \(rebuilder.market?.rawValue ?? "?") \(rebuilder.stream?.description ?? "")"
                + ": \(rebuilder.diffs) diffs, \(rebuilder.snapshots) snapshots, applied \(c.applied), "
                + "buffered \(c.buffered), stale \(c.droppedStale), resyncs \(c.resyncs), state \(sync.state)"
                + (lastStamp.map { ", last line \($0) ns" } ?? ""))
        guard sync.isSynced else {
            printError("the book is not synced at \(at.nanos) (no bridging snapshot before it, or a break after the last)")
            throw ExitCode(1)
        }
        print(sync.book.depthJSON(limit: depth))
    }
}
