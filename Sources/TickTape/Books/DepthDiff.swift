/// One depth message parsed into caller-owned storage: a `depthUpdate` diff (USD-M `U`/`u`/`pu`,
/// spot `U`/`u`), or a full-levels message (a partial-depth stream `@depth5/10/20`, a REST
/// snapshot body or a ``BookSnapshotLine``), flagged by ``isSnapshot``.
///
/// Why one reusable value: the book thread parses every diff of every symbol. `parse(_:)`
/// empties the level arrays keeping their capacity and refills them, so once the arrays have
/// grown to the largest message seen, parsing allocates nothing. Frames may be a combined-stream
/// envelope (`{"stream":…,"data":{…}}`), a raw payload, or a snapshot line
/// (`{"snapshot":{…}}`).
package struct DepthDiff: Sendable {
    /// Stream name from the envelope (empty for a raw payload).
    package var stream = ShortName()
    /// Symbol (`s`, or `symbol` in a snapshot line, or taken from the stream name), upper case.
    package var symbol = ShortName()
    /// Market named by a snapshot line (`market`), or inferred: `pu` present means USD-M.
    package var market: BookMarket?
    /// `kind` of a snapshot line (`rest`, `checkpoint`); empty otherwise.
    package var snapshotKind = ShortName()
    /// `E` (ms, or µs with `timeUnit=MICROSECOND`); 0 when absent.
    package var eventTime: Int64 = 0
    /// `T` (USD-M); 0 when absent.
    package var transactionTime: Int64 = 0
    /// `U`; for a snapshot, equal to ``finalUpdateID``.
    package var firstUpdateID: Int64 = 0
    /// `u`, or `lastUpdateId` of a snapshot.
    package var finalUpdateID: Int64 = 0
    /// `pu` (USD-M only).
    package var previousFinalUpdateID: Int64?
    package var bids: [PriceLevel] = []
    package var asks: [PriceLevel] = []
    /// Full levels rather than changes: partial depth, REST snapshot or snapshot line.
    package var isSnapshot = false

    /// Empty storage with room for `levels` levels per side.
    package init(reservingLevels levels: Int = 1024) {
        bids.reserveCapacity(levels)
        asks.reserveCapacity(levels)
    }

    /// Parses one frame (without the receive stamp). False if it is not a depth message
    /// (trade, bookTicker, …) or is malformed; the contents are then unspecified.
    package mutating func parse(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count > 1 else { return false }
        reset()
        var cursor = JSONCursor(base: base, end: frame.count)
        var sawU = false
        var sawu = false
        var sawLast = false
        var sawLevels = false
        var notDepth = false
        let ok = parseObject(&cursor, sawU: &sawU, sawu: &sawu, sawLast: &sawLast, sawLevels: &sawLevels, notDepth: &notDepth)
        guard ok, !notDepth, sawLevels else { return false }
        if sawLast {
            isSnapshot = true
            firstUpdateID = finalUpdateID
        } else {
            guard sawU, sawu else { return false }
            if isPartialDepthStream { isSnapshot = true }
        }
        if market == nil, previousFinalUpdateID != nil { market = .usdm }
        if symbol.isEmpty, !stream.isEmpty { symbol = streamSymbol }
        return true
    }

    /// Becomes a copy of `other`, reusing this value's level storage (no allocation once it
    /// has grown to the size of the messages copied into it).
    package mutating func assign(from other: DepthDiff) {
        stream = other.stream
        symbol = other.symbol
        market = other.market
        snapshotKind = other.snapshotKind
        eventTime = other.eventTime
        transactionTime = other.transactionTime
        firstUpdateID = other.firstUpdateID
        finalUpdateID = other.finalUpdateID
        previousFinalUpdateID = other.previousFinalUpdateID
        bids.removeAll(keepingCapacity: true)
        bids.append(contentsOf: other.bids)
        asks.removeAll(keepingCapacity: true)
        asks.append(contentsOf: other.asks)
        isSnapshot = other.isSnapshot
    }

    mutating func reset() {
        stream = ShortName()
        symbol = ShortName()
        market = nil
        snapshotKind = ShortName()
        eventTime = 0
        transactionTime = 0
        firstUpdateID = 0
        finalUpdateID = 0
        previousFinalUpdateID = nil
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
        isSnapshot = false
    }

    /// `@depth5`, `@depth10` or `@depth20` (with or without a speed suffix).
    var isPartialDepthStream: Bool {
        var w = stream.words
        return withUnsafeBytes(of: &w) { b in
            let n = Int(stream.count)
            var i = 0
            while i + 6 <= n {
                if b[i] == UInt8(ascii: "@"), b[i + 1] == UInt8(ascii: "d"), b[i + 2] == UInt8(ascii: "e"),
                    b[i + 3] == UInt8(ascii: "p"), b[i + 4] == UInt8(ascii: "t"), b[i + 5] == UInt8(ascii: "h"),
                    i + 6 < n, b[i + 6] >= UInt8(ascii: "0"), b[i + 6] <= UInt8(ascii: "9")
                {
                    return true
                }
                i += 1
            }
            return false
        }
    }

    /// The stream name's part before `@`, upper case.
    var streamSymbol: ShortName {
        var w = stream.words
        return withUnsafeBytes(of: &w) { b in
            let p = b.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = 0
            while n < Int(stream.count), p[n] != UInt8(ascii: "@") { n += 1 }
            return ShortName(p, count: n, uppercase: true)
        }
    }

    mutating func parseObject(
        _ cursor: inout JSONCursor, sawU: inout Bool, sawu: inout Bool, sawLast: inout Bool, sawLevels: inout Bool,
        notDepth: inout Bool
    ) -> Bool {
        return cursor.readObject { c, key in
            let base = c.base
            func short(_ r: Range<Int>, uppercase: Bool = false) -> ShortName {
                ShortName(base + r.lowerBound, count: r.count, uppercase: uppercase)
            }
            switch key.count {
            case 1:
                switch base[key.lowerBound] {
                case UInt8(ascii: "e"):
                    guard let v = c.readString() else { return false }
                    if !c.bytes(v, are: "depthUpdate") { notDepth = true }
                    return true
                case UInt8(ascii: "E"):
                    guard let v = c.readInteger() else { return false }
                    self.eventTime = v
                case UInt8(ascii: "T"):
                    guard let v = c.readInteger() else { return false }
                    self.transactionTime = v
                case UInt8(ascii: "s"):
                    guard let v = c.readString() else { return false }
                    self.symbol = short(v, uppercase: true)
                case UInt8(ascii: "U"):
                    guard let v = c.readInteger() else { return false }
                    self.firstUpdateID = v
                    sawU = true
                case UInt8(ascii: "u"):
                    guard let v = c.readInteger() else { return false }
                    self.finalUpdateID = v
                    sawu = true
                case UInt8(ascii: "b"):
                    sawLevels = true
                    return c.readLevels { p, q in self.bids.append(PriceLevel(price: p, quantity: q)) }
                case UInt8(ascii: "a"):
                    sawLevels = true
                    return c.readLevels { p, q in self.asks.append(PriceLevel(price: p, quantity: q)) }
                default:
                    return c.skipValue()
                }
                return true
            case 2 where c.bytes(key, are: "pu"):
                guard let v = c.readInteger() else { return false }
                self.previousFinalUpdateID = v
                return true
            case 4 where c.bytes(key, are: "bids"):
                sawLevels = true
                return c.readLevels { p, q in self.bids.append(PriceLevel(price: p, quantity: q)) }
            case 4 where c.bytes(key, are: "asks"):
                sawLevels = true
                return c.readLevels { p, q in self.asks.append(PriceLevel(price: p, quantity: q)) }
            case 4 where c.bytes(key, are: "data"):
                return self.parseObject(&c, sawU: &sawU, sawu: &sawu, sawLast: &sawLast, sawLevels: &sawLevels, notDepth: &notDepth)
            case 4 where c.bytes(key, are: "kind"):
                guard let v = c.readString() else { return false }
                self.snapshotKind = short(v)
                return true
            case 6 where c.bytes(key, are: "stream"):
                guard let v = c.readString() else { return false }
                self.stream = short(v)
                return true
            case 6 where c.bytes(key, are: "symbol"):
                guard let v = c.readString() else { return false }
                self.symbol = short(v, uppercase: true)
                return true
            case 6 where c.bytes(key, are: "market"):
                guard let v = c.readString() else { return false }
                if c.bytes(v, are: "usdm") {
                    self.market = .usdm
                } else if c.bytes(v, are: "spot") {
                    self.market = .spot
                } else {
                    return false
                }
                return true
            case 8 where c.bytes(key, are: "snapshot"):
                return self.parseObject(&c, sawU: &sawU, sawu: &sawu, sawLast: &sawLast, sawLevels: &sawLevels, notDepth: &notDepth)
            case 12 where c.bytes(key, are: "lastUpdateId"):
                guard let v = c.readInteger() else { return false }
                self.finalUpdateID = v
                sawLast = true
                return true
            default:
                return c.skipValue()
            }
        }
    }
}
