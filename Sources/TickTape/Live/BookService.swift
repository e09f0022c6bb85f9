import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The live order books, bars and latest ticks of every capture that keeps them, on a thread
/// of their own.
///
/// Why its own thread: applying diffs, checking books and encoding snapshot lines must never
/// cost the merger time. The merger hands each capture's ordered stream to a
/// ``MergedStreamFeed`` (a copy into a ring, never a wait); this thread reads the rings, keeps
/// one ``BookSynchronizer`` per diff-depth stream, and asks the process's one
/// ``SnapshotScheduler`` (one REST weight budget per market) for snapshots. The snapshots it
/// applies are recorded in the capture (``BookSnapshotLine``, through the merger's inbox) so a
/// book can be rebuilt from the files alone; every real resync is a ledger entry
/// (`cause: book`). A full feed ring loses records: every book of that capture resyncs.
///
/// `@unchecked Sendable`: the book state is this thread's; other threads reach only the
/// `Mutex`es (captures to add, snapshots delivered) and the atomic counters.
package final class BookService: @unchecked Sendable {
    /// One capture's books, owned by the book thread.
    final class CaptureBooks {
        let name: String
        let feed: MergedStreamFeed
        let merger: CaptureMerger
        let writer: SegmentWriter
        let market: BookMarket
        let restMarket: RestMarket
        let checkpointNanos: Int64?
        let isKeepingBooks: Bool
        let barIntervals: [BarInterval]
        /// `<data_dir>/<capture>/bars.csv`, appended a line per closed bar (-1: not open).
        var barsFile: Int32 = -1
        let barsPath: String
        /// By the feed's stream number.
        var streams: [UInt16: StreamBooks] = [:]
        var lastCheckpointAt: Int64 = WallClock.monotonicNanos()

        init(config: CaptureConfig, directory: String, feed: MergedStreamFeed, merger: CaptureMerger, writer: SegmentWriter) {
            self.name = config.name
            self.barIntervals = config.books.barIntervals
            self.isKeepingBooks = config.books.enabled
            self.barsPath = directory + "/bars.csv"
            self.feed = feed
            self.merger = merger
            self.writer = writer
            self.restMarket = config.books.market
            self.market = config.books.market == .spot ? .spot : .usdm
            self.checkpointNanos = config.books.checkpointInterval?.nanoseconds
        }
    }

    /// One stream of a capture as the book thread knows it.
    final class StreamBooks {
        let name: String
        /// Upper case, as in payloads.
        let symbol: String
        /// Nil for streams that feed no book (trades, tickers: latest ticks only).
        var sync: BookSynchronizer?
        /// Trade streams of a capture with `bars`.
        var bars: BarAggregator?
        /// Depth streams: the comparison with the symbol's bookTicker.
        var tickerCheck = BookTickerCheck()
        var tickSlot: Int?
        /// `E` and `T` of the last diff applied (depth REST and partial-depth streams say them).
        var eventTime: Int64 = 0
        var transactionTime: Int64 = 0
        /// Per partial-depth cadence: `U` of the first diff applied since that cadence's last
        /// push (0: none yet), and the `u` it pushed last (its next `pu`).
        var partialFirstU: [Int64] = [0, 0, 0]
        var partialLastU: [Int64] = [0, 0, 0]
        init(name: String, symbol: String, sync: BookSynchronizer?, bars: BarAggregator?, tickSlot: Int?) {
            self.name = name
            self.symbol = symbol
            self.sync = sync
            self.bars = bars
            self.tickSlot = tickSlot
        }
    }

    /// Counters for `/metrics` and tests (written by the book thread).
    package struct Figures: Sendable, Equatable {
        package var applied = 0
        package var snapshotsApplied = 0
        /// Resyncs after a book was synced, every reason but the first snapshot.
        package var resyncs = 0
        package var crossed = 0
        package var lostRecords = 0
        package var snapshotLines = 0
        package var barsClosed = 0
        /// Books that disagreed with their bookTicker at the same update id (each resynced).
        package var tickerDisagreements = 0
    }

    /// How many closed bars per symbol and interval stay in memory.
    package static let recentBarLimit = 1_440

    let logger: Logger
    private let scheduler: SnapshotScheduler
    /// The latest tick of every symbol the captures carry (readers on any thread).
    package let ticks: LatestTickStore
    /// The last trades of every symbol, in the same slots as ``ticks`` (readers on any thread).
    package let trades: RecentTrades
    private let adding = Mutex<[CaptureBooks]>([])
    private let removing = Mutex<[String]>([])
    /// Snapshots the scheduler delivered (on the REST loop), for the book thread.
    private final class Inbox: Sendable {
        let items = Mutex<[SnapshotDelivery]>([])
    }
    private let delivered = Inbox()
    private let figures = Mutex(Figures())
    /// Closed bars by "capture/SYMBOL/interval", newest last (readers on any thread).
    private let closedBars = Mutex<[String: [Bar]]>([:])
    /// Depth requests from the serving side, answered by the book thread (``depth(symbol:market:limit:)``).
    let depthRequests = Mutex<[DepthRequest]>([])
    /// Partial-depth streams (`btcusdt@depth20@100ms`) the relay's clients subscribe to, with a
    /// version so the book thread re-reads the set only when it changed.
    let wantedPartial = Mutex<(version: Int, names: Set<String>)>((0, []))
    /// Where the book thread publishes partial-depth frames for the relay (set before
    /// ``start()``; the book thread is its only producer).
    package var partialDepthFeed: MergedStreamFeed?
    let running = Atomic<Bool>(false)
    let stopped = Atomic<Bool>(false)
    private var thread: PinnedThread?
    // Book thread only.
    var captures: [CaptureBooks] = []
    private var scratch = DepthDiff()
    private var trade = TradePrint()
    private var ticker = BookTickerPrint()
    private var mark = MarkPricePrint()
    private var local = Figures()
    var partialPlan = PartialDepthPlan()

    /// - Parameters:
    ///   - symbols: every symbol the captures may carry (the latest-tick store's fixed slots).
    ///   - eventLoop: where the REST client and scheduler run (not a capture loop).
    package init(config: TickTapeConfig, symbols: [String], eventLoop: any EventLoop, logger: Logger) throws {
        self.logger = logger
        self.ticks = LatestTickStore(symbols: symbols)
        self.trades = RecentTrades(slots: ticks.symbols.count)
        var markets: [RestMarket: SnapshotScheduler.MarketSetup] = [:]
        for capture in config.captures where capture.books.enabled {
            // Only captures with books fetch snapshots; bars need none.
            let market = capture.books.market
            guard markets[market] == nil else { continue }
            let client = try DepthSnapshotClient(
                endpoint: capture.books.restEndpoint, market: market, eventLoop: eventLoop, caFile: capture.caFile)
            markets[market] = .init(
                client: client, budget: RestWeightBudget(limit: config.books.weightLimit(market)),
                limit: capture.books.snapshotLimit)
        }
        let inbox = delivered
        let log = logger
        self.scheduler = try SnapshotScheduler(eventLoop: eventLoop, markets: markets) { event in
            switch event {
            case .snapshot(let delivery):
                inbox.items.withLock { $0.append(delivery) }
            case .failed(let symbol, let market, let error, let retryIn):
                log.warning(
                    "depth snapshot failed; retrying",
                    metadata: [
                        "symbol": "\(symbol)", "market": "\(market.rawValue)", "error": "\(error)",
                        "retry_in": "\(HumanDuration.formatForLog(retryIn))",
                    ])
            case .rateLimited(let symbol, let market, let status, let closedFor):
                log.error(
                    "the exchange rate-limited depth snapshots; the budget stays closed",
                    metadata: [
                        "symbol": "\(symbol)", "market": "\(market.rawValue)", "status": "\(status)",
                        "closed_for": "\(HumanDuration.formatForLog(closedFor))",
                    ])
            }
        }
    }

    /// Whether a capture keeps books or bars (and so needs a feed).
    package static func serves(_ capture: CaptureConfig) -> Bool {
        capture.books.enabled || !capture.books.barIntervals.isEmpty
    }

    /// The feed a capture's merger should hand its stream to: depth, trades and tickers.
    package static func makeFeed() -> MergedStreamFeed {
        MergedStreamFeed(capacity: 1 << 24) { stream in
            stream.contains("@depth") || stream.contains("@bookTicker") || stream.contains("@trade")
                || stream.contains("@aggTrade") || stream.contains("@markPrice")
        }
    }

    /// Starts keeping the books of a capture whose merger hands its stream to `feed`.
    /// `directory`: the capture's data directory (for `bars.csv`).
    package func add(
        _ config: CaptureConfig, directory: String, feed: MergedStreamFeed, merger: CaptureMerger, writer: SegmentWriter
    ) {
        adding.withLock {
            $0.append(CaptureBooks(config: config, directory: directory, feed: feed, merger: merger, writer: writer))
        }
    }

    /// The newest closed bars of `symbol` at `interval` in capture `capture` (oldest first).
    package func recentBars(capture: String, symbol: String, interval: BarInterval) -> [Bar] {
        closedBars.withLock { $0["\(capture)/\(symbol.uppercased())/\(interval)"] ?? [] }
    }

    /// Stops keeping the books of capture `name`.
    package func remove(capture name: String) {
        removing.withLock { $0.append(name) }
    }

    package var currentFigures: Figures { figures.withLock { $0 } }

    /// Every book, by capture and stream, with whether it is synced. Only after ``stop()``
    /// (the books are the book thread's while it runs); for tests and the final report.
    package func booksAfterStop() -> [String: [String: (synced: Bool, book: OrderBook, counters: BookSyncCounters)]] {
        precondition(stopped.load(ordering: .acquiring), "books are read only after stop()")
        var out: [String: [String: (synced: Bool, book: OrderBook, counters: BookSyncCounters)]] = [:]
        for capture in captures {
            for stream in capture.streams.values {
                guard let sync = stream.sync else { continue }
                out[capture.name, default: [:]][stream.name] = (sync.isSynced, sync.book, sync.counters)
            }
        }
        return out
    }

    /// Starts the book thread.
    package func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread = PinnedThread.start(name: "tt-books") { [self] in run() }
    }

    /// Stops the book thread and the scheduler; returns once the thread has ended (suspending,
    /// never blocking a thread of the cooperative pool).
    package func stop() async {
        guard running.load(ordering: .acquiring), !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        scheduler.shutdown()
        await thread?.joined()
        for request in depthRequests.withLock({ q in defer { q.removeAll() }; return q }) { request.answer(.notSynced) }
        for capture in captures where capture.barsFile >= 0 {
            Glibc.close(capture.barsFile)
            capture.barsFile = -1
        }
    }

    // MARK: Book thread

    private func run() {
        var idle = 0
        while !stopped.load(ordering: .acquiring) {
            var work = takeCommands()
            var drained = true
            for capture in captures {
                var n = 0
                while n < 4096, capture.feed.ring.pop({ record in handle(record, of: capture) }) { n += 1 }
                work += n
                if n == 4096 { drained = false }
                checkpointIfDue(capture)
            }
            work += applyDelivered()
            work += answerDepthRequests(drained: drained)
            pushPartialDepthIfDue()
            if work > 0 {
                idle = 0
                figures.withLock { $0 = local }
            } else {
                idle += 1
                usleep(idle < 100 ? 50 : 500)
            }
        }
    }

    private func takeCommands() -> Int {
        let added = adding.withLock { a in defer { a.removeAll() }; return a }
        let removed = removing.withLock { r in defer { r.removeAll() }; return r }
        captures += added
        if !removed.isEmpty {
            captures.removeAll { capture in
                guard removed.contains(capture.name) else { return false }
                if capture.barsFile >= 0 { close(capture.barsFile) }
                return true
            }
        }
        return added.count + removed.count
    }

    private func handle(_ record: RecordRing.Record, of capture: CaptureBooks) {
        if record.lostBefore > 0 {
            local.lostRecords += Int(record.lostBefore)
            resyncAll(capture, reason: "the book thread fell behind and lost \(record.lostBefore) records")
        }
        switch MergedStreamFeed.Kind(rawValue: record.kind) {
        case .stream:
            let name = String(decoding: record.payload, as: UTF8.self)
            let symbol = String(name.prefix { $0 != "@" }).uppercased()
            // Diff depth follows the snapshot procedure; partial depth (`@depth20`) carries
            // whole books and replaces the book with each message.
            let depth = name.contains("@depth")
            let trades = CaptureBooksConfig.isTrades(name) && !capture.barIntervals.isEmpty
            capture.streams[record.stream] = StreamBooks(
                name: name, symbol: symbol,
                sync: depth && capture.isKeepingBooks ? BookSynchronizer(market: capture.market) : nil,
                bars: trades ? BarAggregator(symbol: symbol, intervals: capture.barIntervals) : nil,
                tickSlot: ticks.slot(for: symbol))
        case .merged, .latePlaced, .lateUnplaced:
            guard let stream = capture.streams[record.stream] else { return }
            if stream.sync != nil {
                // A late copy is older than the book: the merged order already went past it.
                guard record.kind == MergedStreamFeed.Kind.merged.rawValue else { return }
                applyDiff(record, stream: stream, capture: capture)
            } else if record.kind == MergedStreamFeed.Kind.merged.rawValue {
                updateTick(record, stream: stream, capture: capture)
            }
        case .gap, .none:
            // A depth gap shows as a broken chain in the next diff; nothing to do here.
            return
        }
    }

    private func applyDiff(_ record: RecordRing.Record, stream: StreamBooks, capture: CaptureBooks) {
        // Mutated in place through the stream (a class): a copy of the synchronizer would copy
        // the whole book on write, once per diff.
        guard stream.sync != nil, scratch.parse(record.payload) else { return }
        let action = stream.sync!.apply(scratch)
        switch action {
        case .applied, .replaced:
            local.applied += 1
            noteApplied(scratch, stream: stream)
            if stream.tickerCheck.check(stream.sync!.book) == false {
                local.tickerDisagreements += 1
                let at = stream.sync!.book.lastUpdateID
                _ = stream.sync!.invalidate(.external)
                logger.error(
                    "order book disagrees with bookTicker at the same update id; resyncing",
                    metadata: ["capture": "\(capture.name)", "stream": "\(stream.name)", "update_id": "\(at)"])
                resync(stream, capture: capture, reason: .external)
                return
            }
            publishTop(stream)
        case .needSnapshot(let reason):
            resync(stream, capture: capture, reason: reason)
        case .buffered, .droppedStale, .snapshotApplied, .snapshotIgnored:
            break
        }
    }

    private func resync(_ stream: StreamBooks, capture: CaptureBooks, reason: ResyncReason) {
        if reason == .crossed { local.crossed += 1 }
        if reason != .initial {
            local.resyncs += 1
            // `connections_up` -1: the book thread does not know it (the merger's ledger entries do).
            capture.writer.record(
                gap: GapRecord(
                    stream: stream.name, firstMissing: -1, lastMissing: -1, detectedAt: WallClock.realtimeNanos(),
                    cause: "book", connectionsUp: -1))
            logger.warning(
                "order book resync",
                metadata: ["capture": "\(capture.name)", "stream": "\(stream.name)", "reason": "\(reason.rawValue)"])
        }
        scheduler.request(symbol: stream.symbol, market: capture.restMarket)
    }

    private func resyncAll(_ capture: CaptureBooks, reason: String) {
        logger.warning("order books resync", metadata: ["capture": "\(capture.name)", "why": "\(reason)"])
        for stream in capture.streams.values where stream.sync != nil {
            _ = stream.sync!.invalidate(.external)
            resync(stream, capture: capture, reason: .external)
        }
    }

    private func applyDelivered() -> Int {
        let deliveries = delivered.items.withLock { d in defer { d.removeAll() }; return d }
        for delivery in deliveries {
            let snapshot = delivery.body.withUnsafeReadableBytes { DepthSnapshot.parse($0) }
            guard let snapshot else {
                logger.error("depth snapshot unreadable", metadata: ["symbol": "\(delivery.symbol)"])
                continue
            }
            for capture in captures where capture.restMarket == delivery.market {
                var used = false
                for stream in capture.streams.values where stream.symbol == delivery.symbol.uppercased() {
                    guard let synced = stream.sync?.isSynced, !synced else { continue }
                    let action = stream.sync!.applySnapshot(snapshot)
                    switch action {
                    case .snapshotApplied:
                        used = true
                        local.snapshotsApplied += 1
                        publishTop(stream)
                    case .needSnapshot(let reason):
                        used = true  // applied, then the buffered chain broke: still what the book saw
                        resync(stream, capture: capture, reason: reason)
                    default:
                        break
                    }
                }
                if used { recordSnapshot(delivery, in: capture) }
            }
        }
        return deliveries.count
    }

    /// The snapshot a book was built from goes into the capture, so the files alone rebuild it.
    private func recordSnapshot(_ delivery: SnapshotDelivery, in capture: CaptureBooks) {
        let line = delivery.body.withUnsafeReadableBytes {
            BookSnapshotLine.encode(symbol: delivery.symbol, market: capture.market, kind: .rest, restBody: $0)
        }
        guard let line else { return }
        capture.merger.inject(line: line, receivedAt: delivery.receivedAtNanos)
        local.snapshotLines += 1
    }

    private func checkpointIfDue(_ capture: CaptureBooks) {
        guard let every = capture.checkpointNanos else { return }
        let now = WallClock.monotonicNanos()
        guard now - capture.lastCheckpointAt >= every else { return }
        capture.lastCheckpointAt = now
        for stream in capture.streams.values {
            guard let sync = stream.sync, sync.isSynced else { continue }
            let line = BookSnapshotLine.encode(symbol: stream.symbol, market: capture.market, kind: .checkpoint, book: sync.book)
            capture.merger.inject(line: line, receivedAt: WallClock.realtimeNanos())
            local.snapshotLines += 1
        }
    }

    private func publishTop(_ stream: StreamBooks) {
        guard let slot = stream.tickSlot, let sync = stream.sync, sync.isSynced else { return }
        let bid = sync.book.bestBid
        let ask = sync.book.bestAsk
        ticks.update(slot) { tick in
            if let bid {
                tick.topBidPrice = bid.price
                tick.topBidQuantity = bid.quantity
            }
            if let ask {
                tick.topAskPrice = ask.price
                tick.topAskQuantity = ask.quantity
            }
            tick.bookUpdateID = sync.book.lastUpdateID
        }
    }

    private func updateTick(_ record: RecordRing.Record, stream: StreamBooks, capture: CaptureBooks) {
        if stream.name.contains("@markPrice") {
            guard let slot = stream.tickSlot, mark.parse(record.payload) else { return }
            let print = mark
            ticks.update(slot) { tick in
                tick.markPrice = print.price
                tick.markTime = print.eventTime
            }
            return
        }
        if stream.name.hasSuffix("@bookTicker") {
            guard ticker.parse(record.payload) else { return }
            let print = ticker
            for depth in capture.streams.values where depth.sync != nil && depth.symbol == stream.symbol {
                depth.tickerCheck.observe(print)
            }
            if let slot = stream.tickSlot {
                ticks.update(slot) { tick in
                    tick.bidPrice = print.bidPrice
                    tick.bidQuantity = print.bidQuantity
                    tick.askPrice = print.askPrice
                    tick.askQuantity = print.askQuantity
                    tick.bookTickerUpdateID = print.updateID
                }
            }
            return
        }
        guard CaptureBooksConfig.isTrades(stream.name), trade.parse(record.payload) else { return }
        let print = trade
        if let slot = stream.tickSlot {
            ticks.update(slot) { tick in
                tick.tradePrice = print.price
                tick.tradeQuantity = print.quantity
                tick.tradeTime = print.tradeTime
                tick.tradeID = print.id
            }
            trades.record(print, slot: slot)
        }
        if var bars = stream.bars {
            bars.add(print) { bar in closed(bar, of: capture) }
            stream.bars = bars
        }
    }

    /// A bar closed: into memory for the serving side, and a line in the capture's `bars.csv`.
    private func closed(_ bar: Bar, of capture: CaptureBooks) {
        local.barsClosed += 1
        closedBars.withLock { all in
            let key = "\(capture.name)/\(bar.symbol.uppercased())/\(bar.interval)"
            all[key, default: []].append(bar)
            if all[key]!.count > Self.recentBarLimit { all[key]!.removeFirst(all[key]!.count - Self.recentBarLimit) }
        }
        if capture.barsFile < 0 {
            capture.barsFile = open(capture.barsPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard capture.barsFile >= 0 else {
                logger.error("cannot open the bars file; bars stay in memory only", metadata: ["path": "\(capture.barsPath)", "errno": "\(errno)"])
                return
            }
            var st = stat()
            if fstat(capture.barsFile, &st) == 0, st.st_size == 0 { append(Bar.csvHeader + "\n", to: capture) }
        }
        append(bar.csvLine + "\n", to: capture)
    }

    private func append(_ text: String, to capture: CaptureBooks) {
        var line = text
        line.withUTF8 { bytes in
            if let error = POSIXIO.writeAll(capture.barsFile, UnsafeRawBufferPointer(bytes)).error {
                logger.error("bars file write failed", metadata: ["path": "\(capture.barsPath)", "errno": "\(error)"])
            }
        }
    }
}
