import Synchronization

/// What the serving side asks of the books: a depth snapshot (REST `depth`, the JSON API) and
/// partial-depth streams (`<symbol>@depth<5|10|20>[@100ms|@500ms]`) for the relay.
///
/// Both are answered by the book thread, which owns the books: a request waits in a queue, a
/// partial-depth frame goes into ``BookService/partialDepthFeed`` (a ring the relay reads), so
/// no other thread ever reads a book while it changes.
extension BookService {
    /// A depth snapshot as Binance's REST answers it, or why there is none.
    package enum DepthAnswer: Sendable, Equatable {
        /// The JSON body (`{"lastUpdateId":…,["E":…,"T":…,]"bids":…,"asks":…}`).
        case book([UInt8])
        /// No capture keeps a book of this symbol in this market.
        case unknownSymbol
        /// The book exists but is (re)synchronising: no consistent state to give.
        case notSynced
    }

    struct DepthRequest: Sendable {
        var symbol: String
        var market: BookMarket
        var limit: Int
        var askedAt: Int64
        var answer: @Sendable (DepthAnswer) -> Void
    }

    /// The book of `symbol` in `market`, at most `limit` levels per side, as Binance's depth
    /// REST body. The answer reflects every diff the merger emitted before the call, so a
    /// client that subscribed to the relay's diff stream first can bridge from it
    /// (`U <= lastUpdateId <= u`).
    package func depth(symbol: String, market: BookMarket, limit: Int) async -> DepthAnswer {
        await withCheckedContinuation { (continuation: CheckedContinuation<DepthAnswer, Never>) in
            requestDepth(symbol: symbol, market: market, limit: limit) { continuation.resume(returning: $0) }
        }
    }

    /// ``depth(symbol:market:limit:)`` for callers on an event loop: `answer` is called once,
    /// on the book thread (or at once when 10,000 requests already wait).
    package func requestDepth(symbol: String, market: BookMarket, limit: Int, answer: @escaping @Sendable (DepthAnswer) -> Void) {
        let request = DepthRequest(
            symbol: symbol.uppercased(), market: market, limit: limit, askedAt: WallClock.monotonicNanos(), answer: answer)
        let accepted = depthRequests.withLock { queue -> Bool in
            guard queue.count < 10_000, running.load(ordering: .acquiring), !stopped.load(ordering: .acquiring) else { return false }
            queue.append(request)
            return true
        }
        if !accepted { answer(.notSynced) }
    }

    /// The partial-depth streams the relay's clients want now (any thread).
    package func setWantedPartialStreams(_ names: Set<String>) {
        wantedPartial.withLock { wanted in
            guard wanted.names != names else { return }
            wanted = (wanted.version + 1, names)
        }
    }

    /// Whether `name` is a partial-depth stream a book can serve, and its parts.
    package static func partialDepth(_ name: String) -> (symbol: String, levels: Int, cadence: Int)? {
        let parts = name.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty else { return nil }
        let levels: Int
        switch parts[1] {
        case "depth5": levels = 5
        case "depth10": levels = 10
        case "depth20": levels = 20
        default: return nil
        }
        let cadence: Int
        if parts.count == 2 {
            cadence = 1
        } else if parts[2] == "100ms" {
            cadence = 0
        } else if parts[2] == "500ms" {
            cadence = 2
        } else {
            return nil
        }
        return (String(parts[0]).uppercased(), levels, cadence)
    }

    // MARK: Book thread

    func noteApplied(_ diff: DepthDiff, stream: StreamBooks) {
        stream.eventTime = diff.eventTime
        stream.transactionTime = diff.transactionTime
        for k in 0..<3 where stream.partialFirstU[k] == 0 { stream.partialFirstU[k] = diff.firstUpdateID }
    }

    /// Answers queued depth requests once the book thread has caught up with its feeds (or a
    /// request has waited 50 ms: a book thread that never catches up still answers).
    func answerDepthRequests(drained: Bool) -> Int {
        let now = WallClock.monotonicNanos()
        let ready = depthRequests.withLock { queue -> [DepthRequest] in
            guard !queue.isEmpty else { return [] }
            guard drained || now - queue[0].askedAt > 50_000_000 else { return [] }
            defer { queue.removeAll() }
            return queue
        }
        for request in ready { request.answer(depthAnswer(request)) }
        return ready.count
    }

    private func depthAnswer(_ request: DepthRequest) -> DepthAnswer {
        var found = false
        for capture in captures where capture.market == request.market {
            for stream in capture.streams.values where stream.symbol == request.symbol {
                guard let sync = stream.sync else { continue }
                found = true
                guard sync.isSynced else { continue }
                var out: [UInt8] = []
                out.reserveCapacity(64 + min(request.limit, 1000) * 2 * 40)
                out.append(contentsOf: #"{"lastUpdateId":"#.utf8)
                out.append(contentsOf: String(sync.book.lastUpdateID).utf8)
                if request.market == .usdm {
                    out.append(contentsOf: #","E":"#.utf8)
                    out.append(contentsOf: String(stream.eventTime).utf8)
                    out.append(contentsOf: #","T":"#.utf8)
                    out.append(contentsOf: String(stream.transactionTime).utf8)
                }
                out.append(UInt8(ascii: ","))
                sync.book.writeSides(limit: request.limit, into: &out)
                out.append(UInt8(ascii: "}"))
                return .book(out)
            }
        }
        return found ? .notSynced : .unknownSymbol
    }

    /// Pushes the wanted partial-depth frames whose cadence (100 ms, 250 ms, 500 ms) is due.
    func pushPartialDepthIfDue() {
        guard let feed = partialDepthFeed else { return }
        let now = WallClock.monotonicNanos()
        guard now >= partialPlan.nextCheck else { return }
        partialPlan.nextCheck = now + 10_000_000
        let (version, names) = wantedPartial.withLock { ($0.version, $0.names) }
        if version != partialPlan.version {
            partialPlan.version = version
            partialPlan.wanted = names.sorted().compactMap { name in
                Self.partialDepth(name).map { PartialDepthPlan.Stream(name: name, symbol: $0.symbol, levels: $0.levels, cadence: $0.cadence) }
            }
        }
        var pushedCadences = [false, false, false]
        for k in 0..<3 where now >= partialPlan.due[k] {
            pushedCadences[k] = true
            partialPlan.due[k] = now + PartialDepthPlan.cadenceNanos[k]
        }
        guard pushedCadences.contains(true) else { return }
        var out: [UInt8] = []
        for wanted in partialPlan.wanted where pushedCadences[wanted.cadence] {
            for capture in captures {
                guard let stream = capture.streams.values.first(where: { $0.symbol == wanted.symbol && $0.sync?.isSynced == true }),
                    let sync = stream.sync
                else { continue }
                out.removeAll(keepingCapacity: true)
                let u = sync.book.lastUpdateID
                if capture.market == .usdm {
                    let first = stream.partialFirstU[wanted.cadence] == 0 ? u : stream.partialFirstU[wanted.cadence]
                    out.append(contentsOf: #"{"e":"depthUpdate","E":"#.utf8)
                    out.append(contentsOf: String(WallClock.realtimeNanos() / 1_000_000).utf8)
                    out.append(contentsOf: #","T":"#.utf8)
                    out.append(contentsOf: String(stream.transactionTime).utf8)
                    out.append(contentsOf: #","s":""#.utf8)
                    out.append(contentsOf: wanted.symbol.utf8)
                    out.append(contentsOf: #"","U":"#.utf8)
                    out.append(contentsOf: String(first).utf8)
                    out.append(contentsOf: #","u":"#.utf8)
                    out.append(contentsOf: String(u).utf8)
                    out.append(contentsOf: #","pu":"#.utf8)
                    out.append(contentsOf: String(stream.partialLastU[wanted.cadence]).utf8)
                    out.append(UInt8(ascii: ","))
                    sync.book.writeSides(limit: wanted.levels, bidsKey: "b", asksKey: "a", into: &out)
                    out.append(UInt8(ascii: "}"))
                } else {
                    out.append(contentsOf: #"{"lastUpdateId":"#.utf8)
                    out.append(contentsOf: String(u).utf8)
                    out.append(UInt8(ascii: ","))
                    sync.book.writeSides(limit: wanted.levels, into: &out)
                    out.append(UInt8(ascii: "}"))
                }
                out.withUnsafeBytes {
                    feed.merged(stream: wanted.name, id: u, receivedAt: WallClock.realtimeNanos(), frame: $0)
                }
                break
            }
        }
        for wanted in partialPlan.wanted where pushedCadences[wanted.cadence] {
            for capture in captures {
                for stream in capture.streams.values where stream.symbol == wanted.symbol {
                    guard let sync = stream.sync else { continue }
                    stream.partialLastU[wanted.cadence] = sync.book.lastUpdateID
                    stream.partialFirstU[wanted.cadence] = 0
                }
            }
        }
    }
}

/// Which partial-depth streams the book thread pushes, and when each cadence is next due.
struct PartialDepthPlan {
    struct Stream {
        var name: String
        var symbol: String
        var levels: Int
        var cadence: Int
    }

    /// `@100ms`, the default 250 ms, `@500ms`.
    static let cadenceNanos: [Int64] = [100_000_000, 250_000_000, 500_000_000]
    var version = -1
    var wanted: [Stream] = []
    var due: [Int64] = [0, 0, 0]
    var nextCheck: Int64 = 0
}
