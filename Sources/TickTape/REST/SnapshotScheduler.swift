import NIOCore

/// Decides when each depth snapshot is fetched, so that a reconnect of many symbols never fires them all at
/// once and the process stays inside Binance's weight budget.
///
/// Per market: one FIFO queue of symbols (fair: a symbol asking again goes to the back), at most
/// ``Configuration/maximumInFlight`` requests at a time and one per symbol, at least
/// ``Configuration/minimumSpacing`` between two starts, and a start only when the market's
/// ``RestWeightBudget`` has room. Requests for a symbol that is already queued or waiting to retry are merged
/// into it; one that comes while the symbol's fetch is in flight schedules exactly one more fetch after it
/// (the snapshot in flight may predate whatever made the caller ask again).
///
/// Each symbol's state is explicit (``Phase``): absent (idle), `queued`, `inFlight(again:)`, or
/// `waiting(until:failures:)` after a failure (exponential backoff, reported through ``SnapshotEvent/failed``).
/// A 429 or 418 closes the budget until its `Retry-After` and puts the symbol back at the head of its queue.
///
/// All state is confined to `eventLoop` (a `NIOLoopBoundBox`); the methods may be called from any thread
/// and hop there; events are delivered on the loop. Nothing blocks.
package final class SnapshotScheduler: Sendable {
    package struct Configuration: Sendable {
        /// Smallest gap between two request starts of one market.
        package var minimumSpacing: Duration = .milliseconds(250)
        /// Requests of one market in flight at once.
        package var maximumInFlight: Int = 2
        /// Retry pause after a first failure; it doubles up to ``retryMaximum``.
        package var retryInitial: Duration = .seconds(1)
        package var retryMaximum: Duration = .seconds(60)

        package init() {}
    }

    /// One market's client, budget and snapshot size.
    package struct MarketSetup: Sendable {
        package var client: DepthSnapshotClient
        package var budget: RestWeightBudget
        /// `limit` of every request (must be one the market accepts).
        package var limit: Int

        package init(client: DepthSnapshotClient, budget: RestWeightBudget, limit: Int) {
            self.client = client
            self.budget = budget
            self.limit = limit
        }
    }

    /// Where a symbol is in its life cycle; absent from the table means idle.
    package enum Phase: Sendable, Equatable {
        case queued
        case inFlight(again: Bool)
        case waiting(until: Int64, failures: Int)
    }

    private struct Key: Hashable {
        var market: RestMarket
        var symbol: String
    }

    private struct Entry {
        var phase: Phase
        var failures = 0
    }

    private struct MarketState {
        var setup: MarketSetup
        var weight: Int
        var queue: [String] = []
        var inFlight = 0
        var lastStart: Int64 = .min
    }

    private struct State {
        var markets: [RestMarket: MarketState]
        var entries: [Key: Entry] = [:]
        var wake: Scheduled<Void>?
        var wakeAt: Int64 = .max
        var stopped = false
    }

    package let eventLoop: any EventLoop
    private let configuration: Configuration
    private let handler: @Sendable (SnapshotEvent) -> Void
    private let state: NIOLoopBoundBox<State>

    /// - Parameter handler: called on `eventLoop` for every ``SnapshotEvent``.
    package init(
        eventLoop: any EventLoop, markets: [RestMarket: MarketSetup], configuration: Configuration = Configuration(),
        handler: @escaping @Sendable (SnapshotEvent) -> Void
    ) throws(DepthSnapshotError) {
        var states: [RestMarket: MarketState] = [:]
        for (market, setup) in markets {
            guard let weight = market.snapshotWeight(limit: setup.limit) else {
                throw .invalidRequest("snapshot limit \(setup.limit) is not accepted on \(market.rawValue); use \(market.acceptedLimits)")
            }
            guard setup.client.market == market else {
                throw .invalidRequest("the \(market.rawValue) scheduler was given a \(setup.client.market.rawValue) client")
            }
            states[market] = MarketState(setup: setup, weight: weight)
        }
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.handler = handler
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(markets: states), eventLoop: eventLoop)
    }

    /// Asks for a snapshot of `symbol` (either case) on `market`; merged with a request already pending.
    package func request(symbol: String, market: RestMarket) {
        let symbol = symbol.uppercased()
        self.onLoop { [self] in
            guard !self.state.value.stopped else { return }
            guard self.state.value.markets[market] != nil else {
                self.handler(.failed(symbol: symbol, market: market, error: .invalidRequest("no \(market.rawValue) REST endpoint is configured"), retryIn: .zero))
                return
            }
            let key = Key(market: market, symbol: symbol)
            switch self.state.value.entries[key]?.phase {
            case nil:
                self.state.value.entries[key] = Entry(phase: .queued)
                self.state.value.markets[market]!.queue.append(symbol)
                self.pump()
            case .queued, .waiting:
                break
            case .inFlight:
                self.state.value.entries[key]!.phase = .inFlight(again: true)
            }
        }
    }

    /// Forgets `symbol`: dequeued, no retry, and a fetch in flight is not delivered.
    package func cancel(symbol: String, market: RestMarket) {
        let key = Key(market: market, symbol: symbol.uppercased())
        self.onLoop { [self] in
            guard let entry = self.state.value.entries.removeValue(forKey: key) else { return }
            if entry.phase == .queued {
                self.state.value.markets[market]?.queue.removeAll { $0 == key.symbol }
            }
        }
    }

    /// Stops starting requests and delivering events.
    package func shutdown() {
        self.onLoop { [self] in
            self.state.value.stopped = true
            self.state.value.wake?.cancel()
            self.state.value.wake = nil
            self.state.value.entries.removeAll()
            for market in self.state.value.markets.keys { self.state.value.markets[market]!.queue.removeAll() }
        }
    }

    /// The phase of `symbol`, `nil` when idle (for tests and status).
    package func phase(symbol: String, market: RestMarket) -> EventLoopFuture<Phase?> {
        let key = Key(market: market, symbol: symbol.uppercased())
        return self.eventLoop.submit { [self] in self.state.value.entries[key]?.phase }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if self.eventLoop.inEventLoop { body() } else { self.eventLoop.execute(body) }
    }

    private static func now() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds) }

    /// Starts whatever may start now, and sets the wake-up for the earliest time something more may.
    private func pump() {
        guard !self.state.value.stopped else { return }
        let now = Self.now()
        var nextWake = Int64.max
        let spacing = Self.nanos(self.configuration.minimumSpacing)
        // Retries that are due join the back of their queue.
        for (key, entry) in self.state.value.entries {
            guard case .waiting(let until, _) = entry.phase else { continue }
            if until <= now {
                self.state.value.entries[key]!.phase = .queued
                self.state.value.markets[key.market]!.queue.append(key.symbol)
            } else {
                nextWake = min(nextWake, until)
            }
        }
        for market in self.state.value.markets.keys {
            while true {
                var marketState = self.state.value.markets[market]!
                guard marketState.inFlight < self.configuration.maximumInFlight, let symbol = marketState.queue.first else { break }
                let spacedStart = marketState.lastStart == .min ? now : marketState.lastStart + spacing
                let start = max(marketState.setup.budget.earliestStart(weight: marketState.weight, at: now), spacedStart)
                guard start <= now else {
                    self.state.value.markets[market] = marketState
                    nextWake = min(nextWake, start)
                    break
                }
                marketState.queue.removeFirst()
                marketState.setup.budget.spend(marketState.weight, at: now)
                marketState.lastStart = now
                marketState.inFlight += 1
                self.state.value.markets[market] = marketState
                let key = Key(market: market, symbol: symbol)
                self.state.value.entries[key]?.phase = .inFlight(again: false)
                let limit = marketState.setup.limit
                marketState.setup.client.fetch(symbol: symbol, limit: limit).hop(to: self.eventLoop).whenComplete { [self] result in
                    self.completed(key, limit: limit, result)
                }
            }
        }
        self.schedule(wakeAt: nextWake)
    }

    private func schedule(wakeAt: Int64) {
        guard wakeAt != self.state.value.wakeAt else { return }
        self.state.value.wake?.cancel()
        self.state.value.wake = nil
        self.state.value.wakeAt = wakeAt
        guard wakeAt != .max else { return }
        self.state.value.wake = self.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, wakeAt)))) { [self] in
            self.state.value.wake = nil
            self.state.value.wakeAt = .max
            self.pump()
        }
    }

    private func completed(_ key: Key, limit: Int, _ result: Result<DepthSnapshotResponse, any Error>) {
        guard !self.state.value.stopped else { return }
        let now = Self.now()
        self.state.value.markets[key.market]!.inFlight -= 1
        defer { self.pump() }
        let error: DepthSnapshotError
        switch result {
        case .success(let response):
            if let used = response.usedWeight {
                self.state.value.markets[key.market]!.setup.budget.observe(usedWeight: used, at: now)
            }
            guard let entry = self.state.value.entries[key] else { return }
            if entry.phase == .inFlight(again: true) {
                self.state.value.entries[key] = Entry(phase: .queued)
                self.state.value.markets[key.market]!.queue.append(key.symbol)
            } else {
                self.state.value.entries.removeValue(forKey: key)
            }
            self.handler(
                .snapshot(
                    SnapshotDelivery(
                        symbol: key.symbol, market: key.market, limit: limit, body: response.body,
                        lastUpdateID: response.lastUpdateID, receivedAtNanos: response.receivedAtNanos)))
            return
        case .failure(let failure as DepthSnapshotError):
            error = failure
        case .failure(let failure):
            error = .connectionFailed("\(failure)")
        }
        switch error {
        case .rateLimited(let retryAfter), .banned(let retryAfter):
            let status = if case .banned = error { 418 } else { 429 }
            self.state.value.markets[key.market]!.setup.budget.close(status: status, retryAfter: retryAfter, at: now)
            let closedUntil: Int64 =
                if case .closed(let until, _) = self.state.value.markets[key.market]!.setup.budget.state { until } else { now }
            guard self.state.value.entries[key] != nil else { return }
            self.state.value.entries[key]!.phase = .queued
            self.state.value.markets[key.market]!.queue.insert(key.symbol, at: 0)
            self.handler(.rateLimited(symbol: key.symbol, market: key.market, status: status, closedFor: .nanoseconds(closedUntil - now)))
        default:
            guard var entry = self.state.value.entries[key] else { return }
            entry.failures += 1
            let initial = Self.nanos(self.configuration.retryInitial)
            let backoff = min(Self.nanos(self.configuration.retryMaximum), initial << min(entry.failures - 1, 20))
            entry.phase = .waiting(until: now + backoff, failures: entry.failures)
            self.state.value.entries[key] = entry
            self.handler(.failed(symbol: key.symbol, market: key.market, error: error, retryIn: .nanoseconds(backoff)))
        }
    }

    private static func nanos(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
