import Synchronization

/// The latest ``LatestTick`` of every symbol, written by one thread (the book/analytics
/// thread) and read by any number of others without locks: a seqlock per fixed-size slot.
///
/// Why a seqlock: the writer must never wait for a reader (it sits behind the merger's ring),
/// and readers want a consistent record, not a mix of two updates. Each slot is a sequence
/// word followed by the record's words, all `Atomic<UInt64>` in one allocation (so no access
/// is a data race in Swift's model):
///
/// - writer: `seq += 1` (odd: writing) relaxed; release fence; store the words relaxed;
///   `seq += 1` (even) with release ordering;
/// - reader: load `seq` with acquire; odd → retry; load the words relaxed; acquire fence; load
///   `seq` again; unchanged → the words are one write's, else retry.
///
/// This is the fence-based seqlock of Boehm ("Can seqlocks get along with programming
/// language memory models?", 2012). The fences keep the data stores inside the odd window
/// and the data loads before the second sequence load. Readers retry only while a write of
/// the same slot is in progress (a few dozen ns).
///
/// Single writer: ``update(_:_:)`` must be called from one thread at a time (the writer also
/// keeps a private copy of each record, so an update may change only some fields).
package final class LatestTickStore: @unchecked Sendable {
    /// Words per slot: the sequence, 11 mantissas, 2 words of packed scales, 5 integers,
    /// the version; padded to 192 bytes (three cache lines) so slots do not share a line.
    static let stride = 24
    static let decimalCount = 11

    package let symbols: [String]
    private let index: [String: Int]
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    /// The writer's own copy of every record (touched by the writer thread only).
    private var shadow: [LatestTick]

    /// A store with one slot per symbol (upper case), fixed for its life.
    package init(symbols: [String]) {
        let names = symbols.map { $0.uppercased() }
        self.symbols = names
        var index: [String: Int] = [:]
        for (i, s) in names.enumerated() where index[s] == nil { index[s] = i }
        self.index = index
        let count = max(1, names.count) * Self.stride
        words = .allocate(capacity: count)
        for i in 0..<count { (words + i).initialize(to: Atomic<UInt64>(0)) }
        shadow = Array(repeating: LatestTick(), count: names.count)
    }

    deinit {
        words.deinitialize(count: max(1, symbols.count) * Self.stride)
        words.deallocate()
    }

    /// The slot of `symbol`, if the store has one.
    package func slot(for symbol: String) -> Int? { index[symbol.uppercased()] }

    /// Changes the record of `slot` and publishes it (writer thread only).
    package func update(_ slot: Int, _ change: (inout LatestTick) -> Void) {
        change(&shadow[slot])
        shadow[slot].version &+= 1
        let record = shadow[slot]
        let base = words + slot * Self.stride
        let seq = base[0].load(ordering: .relaxed)
        base[0].store(seq &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        Self.encode(record) { i, w in base[1 + i].store(w, ordering: .relaxed) }
        base[0].store(seq &+ 2, ordering: .releasing)
    }

    /// The latest record of `slot`, consistent (from one ``update(_:_:)``), from any thread.
    package func read(_ slot: Int) -> LatestTick {
        let base = words + slot * Self.stride
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        while true {
            let before = base[0].load(ordering: .acquiring)
            if before & 1 == 1 { continue }
            withUnsafeMutableBytes(of: &buffer) { raw in
                let w = raw.bindMemory(to: UInt64.self)
                for i in 0..<(Self.stride - 1) { w[i] = base[1 + i].load(ordering: .relaxed) }
            }
            atomicMemoryFence(ordering: .acquiring)
            if base[0].load(ordering: .relaxed) == before {
                return withUnsafeBytes(of: &buffer) { Self.decode($0.bindMemory(to: UInt64.self)) }
            }
        }
    }

    /// The record's words in slot order (after the sequence word).
    static func encode(_ t: LatestTick, _ put: (Int, UInt64) -> Void) {
        var scalesLow: UInt64 = 0
        var scalesHigh: UInt64 = 0
        func decimal(_ i: Int, _ d: FixedDecimal) {
            put(i, UInt64(bitPattern: d.mantissa))
            if i < 8 { scalesLow |= UInt64(d.scale) << (8 * i) } else { scalesHigh |= UInt64(d.scale) << (8 * (i - 8)) }
        }
        // No array: this runs on the writer's hot path and must not allocate.
        decimal(0, t.bidPrice)
        decimal(1, t.bidQuantity)
        decimal(2, t.askPrice)
        decimal(3, t.askQuantity)
        decimal(4, t.tradePrice)
        decimal(5, t.tradeQuantity)
        decimal(6, t.markPrice)
        decimal(7, t.topBidPrice)
        decimal(8, t.topBidQuantity)
        decimal(9, t.topAskPrice)
        decimal(10, t.topAskQuantity)
        put(11, scalesLow)
        put(12, scalesHigh)
        put(13, UInt64(bitPattern: t.bookTickerUpdateID))
        put(14, UInt64(bitPattern: t.tradeTime))
        put(15, UInt64(bitPattern: t.tradeID))
        put(16, UInt64(bitPattern: t.markTime))
        put(17, UInt64(bitPattern: t.bookUpdateID))
        put(18, t.version)
    }

    static func decode(_ w: UnsafeBufferPointer<UInt64>) -> LatestTick {
        func d(_ i: Int) -> FixedDecimal {
            let scales = i < 8 ? w[11] >> (8 * i) : w[12] >> (8 * (i - 8))
            return FixedDecimal(mantissa: Int64(bitPattern: w[i]), scale: UInt8(truncatingIfNeeded: scales))
        }
        var t = LatestTick()
        t.bidPrice = d(0)
        t.bidQuantity = d(1)
        t.askPrice = d(2)
        t.askQuantity = d(3)
        t.tradePrice = d(4)
        t.tradeQuantity = d(5)
        t.markPrice = d(6)
        t.topBidPrice = d(7)
        t.topBidQuantity = d(8)
        t.topAskPrice = d(9)
        t.topAskQuantity = d(10)
        t.bookTickerUpdateID = Int64(bitPattern: w[13])
        t.tradeTime = Int64(bitPattern: w[14])
        t.tradeID = Int64(bitPattern: w[15])
        t.markTime = Int64(bitPattern: w[16])
        t.bookUpdateID = Int64(bitPattern: w[17])
        t.version = w[18]
        return t
    }
}
