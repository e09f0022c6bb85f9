/// One price level in integer units: `price` in ticks, `quantity` in lots; quantity 0 removes the level.
struct BookLevel: Sendable, Equatable {
    var price: Int64
    var quantity: Int64
}

/// One book update as the exchange applies it: its id range, the id it follows and the levels it sets.
struct BookStep: Sendable {
    /// `U`.
    var firstID: UInt64
    /// `u`.
    var lastID: UInt64
    /// `pu`: the `u` of the update before.
    var previousID: UInt64
    /// Bids set by the update, highest first; quantity 0 removes (or was never there).
    var bids: [BookLevel]
    /// Asks set by the update, lowest first.
    var asks: [BookLevel]
}

/// The exchange's true order book of one synthetic symbol, and the deterministic process that changes it.
///
/// Update `n` of a symbol depends only on the seed, the symbol's index and the book after update `n - 1`, so
/// a fresh book stepped `n` times is the truth at that point, whoever asks. Bids stay below the mid price and
/// asks above it, so the book is never crossed; when the mid moves, the level it lands on is removed in the
/// same update, and levels that leave the band of ``SyntheticDepthBook/levelsPerSide`` are removed too
/// (far levels do not go stale). Some updates remove levels that are not there, as Binance's do.
struct SimulatedBook: Sendable {
    let symbolIndex: Int
    let seed: UInt64
    let market: SimulatedMarket
    let levelsPerSide: Int64
    private(set) var mid: Int64
    private(set) var bids: [Int64: Int64] = [:]
    private(set) var asks: [Int64: Int64] = [:]
    /// `u` of the last update applied (the initial book's id before any).
    private(set) var lastUpdateID: UInt64
    /// Ordinal of the next update.
    private(set) var ordinal: UInt64 = 0

    init(symbol: String, symbolIndex: Int, market: SimulatedMarket, levelsPerSide: Int, seed: UInt64) {
        self.symbolIndex = symbolIndex
        self.seed = seed
        self.market = market
        self.levelsPerSide = Int64(max(1, levelsPerSide))
        let baseTicks: Int64 = symbol == "btcusdt" ? 618_000 : 20_000 + Int64(Self.fnv1a(symbol) % 400_000)
        // Spot ticks are 0.01 against USD-M's 0.10.
        self.mid = market == .spot ? baseTicks * 10 : baseTicks
        self.lastUpdateID =
            market == .usdm
            ? 7_000_000_000_000 + UInt64(symbolIndex) * 1_000_000_000_000
            : 40_000_000_000 + UInt64(symbolIndex) * 1_000_000_000
        for distance in 1...self.levelsPerSide {
            let bid = self.random(lane: 50, index: UInt64(distance))
            if bid % 8 != 0 { self.bids[self.mid - distance] = 1 + Int64((bid >> 8) % 5_000) }
            let ask = self.random(lane: 51, index: UInt64(distance))
            if ask % 8 != 0 { self.asks[self.mid + distance] = 1 + Int64((ask >> 8) % 5_000) }
        }
    }

    @inline(__always)
    private func random(lane: UInt64, index: UInt64) -> UInt64 {
        DeterministicRandom.value(seed: self.seed, lane: 1_000_000 &+ UInt64(self.symbolIndex) &* 64 &+ lane, index: index)
    }

    /// Applies the next update and returns it.
    mutating func step() -> BookStep {
        let n = self.ordinal
        self.ordinal += 1
        var bidChanges: [Int64: Int64] = [:]
        var askChanges: [Int64: Int64] = [:]
        func setBid(_ price: Int64, _ quantity: Int64) {
            bidChanges[price] = quantity
            if quantity == 0 { self.bids.removeValue(forKey: price) } else { self.bids[price] = quantity }
        }
        func setAsk(_ price: Int64, _ quantity: Int64) {
            askChanges[price] = quantity
            if quantity == 0 { self.asks.removeValue(forKey: price) } else { self.asks[price] = quantity }
        }
        let r = self.random(lane: 0, index: n)
        switch r % 8 {
        case 0 where self.mid - self.levelsPerSide > 2:
            self.mid -= 1
            if self.bids[self.mid] != nil { setBid(self.mid, 0) }
            if self.asks[self.mid + self.levelsPerSide + 1] != nil { setAsk(self.mid + self.levelsPerSide + 1, 0) }
        case 1:
            self.mid += 1
            if self.asks[self.mid] != nil { setAsk(self.mid, 0) }
            if self.bids[self.mid - self.levelsPerSide - 1] != nil { setBid(self.mid - self.levelsPerSide - 1, 0) }
        default:
            break
        }
        let changes = 1 + Int((r >> 8) % 4)
        for j in 0..<changes {
            let v = self.random(lane: 1 + UInt64(j), index: n)
            let near = (v >> 1) & 7 != 0
            let distance = 1 + Int64((v >> 4) % UInt64(near ? min(20, self.levelsPerSide) : self.levelsPerSide))
            let quantity: Int64 = (v >> 20) % 6 == 0 ? 0 : 1 + Int64((v >> 24) % 5_000)
            if v & 1 == 0 {
                setBid(self.mid - distance, quantity)
            } else {
                setAsk(self.mid + distance, quantity)
            }
        }
        let w = self.random(lane: 9, index: n)
        // USD-M ids interleave across symbols, so U may skip past pu + 1; spot ids are per symbol and contiguous.
        let gap: UInt64 = self.market == .usdm ? w % 3 : 0
        let first = self.lastUpdateID + 1 + gap
        let last = first + (w >> 8) % 4
        let previous = self.lastUpdateID
        self.lastUpdateID = last
        return BookStep(
            firstID: first, lastID: last, previousID: previous,
            bids: bidChanges.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price > $1.price },
            asks: askChanges.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price < $1.price })
    }

    /// The best `limit` levels per side (all when `nil`): bids highest first, asks lowest first.
    func levels(limit: Int?) -> (bids: [BookLevel], asks: [BookLevel]) {
        var bids = self.bids.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price > $1.price }
        var asks = self.asks.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price < $1.price }
        if let limit {
            if bids.count > limit { bids.removeSubrange(limit...) }
            if asks.count > limit { asks.removeSubrange(limit...) }
        }
        return (bids, asks)
    }

    /// This book in Binance's string form.
    func depth(limit: Int?) -> SimulatedDepth {
        let (bids, asks) = self.levels(limit: limit)
        return SimulatedDepth(
            lastUpdateID: self.lastUpdateID,
            bids: bids.map { self.market.text(of: $0) },
            asks: asks.map { self.market.text(of: $0) })
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

extension SimulatedMarket {
    /// A level's price and quantity as the decimal strings this market writes.
    func text(of level: BookLevel) -> DepthLevel {
        DepthLevel(
            price: Self.fixedPoint(UInt64(level.price) * self.priceScale, fractionDigits: self.priceFractionDigits),
            quantity: Self.fixedPoint(UInt64(level.quantity) * self.quantityScale, fractionDigits: self.quantityFractionDigits))
    }

    /// `value / 10^digits` with exactly `digits` decimals, as ``FrameWriter/writeFixedPoint(_:fractionDigits:)``.
    static func fixedPoint(_ value: UInt64, fractionDigits digits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let fraction = String(value % scale)
        return "\(value / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
