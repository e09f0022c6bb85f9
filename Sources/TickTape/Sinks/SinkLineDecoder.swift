/// Turns capture lines into rows of a ``SinkBatch``: the market-data fields of bookTicker,
/// trade, aggTrade and depth frames, the sampled `snapshots` and the closed `bars`.
///
/// Parsing is one pass of ``JSONCursor`` over the frame (envelope or raw payload), keeping
/// byte ranges; only the values that become columns are copied out. A frame that is not one of
/// these kinds (a snapshot line, a kline, …) gives no row; a frame of one of them with a
/// missing or malformed field is counted in ``rejected`` and gives no row, so one bad line can
/// never fail a whole batch at the database.
///
/// Derived rows depend only on the lines, never on when they are read, so a replay from an
/// older cursor derives the same rows: a snapshot row is the first ticker of each
/// `snapshot_interval` bucket per symbol (after a resume, a bucket's row is derived again from
/// a later ticker only when its first one was already written before the cursor, and the
/// conflict keeps the first); bars come from ``BarAggregator``, whose open bars travel in the
/// cursor (``state``).
struct SinkLineDecoder {
    let tables: Set<SinkTableKind>
    let snapshotMicros: Int64
    let barIntervals: [BarInterval]
    /// Bars come from `@trade` lines, or from `@aggTrade` when the capture has no trade stream.
    let barsFromAggTrades: Bool
    private(set) var rejected = 0
    private var lastSnapshotBucket: [String: Int64] = [:]
    private var aggregators: [String: BarAggregator] = [:]

    init(tables: Set<SinkTableKind>, snapshotInterval: Duration, barIntervals: [BarInterval], barsFromAggTrades: Bool) {
        self.tables = tables
        self.barsFromAggTrades = barsFromAggTrades
        self.snapshotMicros = max(1, snapshotInterval.nanoseconds / 1000)
        self.barIntervals = barIntervals
    }

    /// The fields of one frame, as byte ranges into it.
    private struct Fields {
        var event: Range<Int>?
        var symbol: Range<Int>?
        var stream: Range<Int>?
        var snapshotLine = false
        var u: Int64?, bigU: Int64?, pu: Int64?, t: Int64?, aggID: Int64?, f: Int64?, l: Int64?
        var eventTime: Int64?, transactionTime: Int64?
        var b: Range<Int>?, bigB: Range<Int>?, a: Range<Int>?, bigA: Range<Int>?, p: Range<Int>?, q: Range<Int>?
        var bidsArray: Range<Int>?, asksArray: Range<Int>?
        var m: Bool?
        var marketTrade = true
    }

    /// Adds the rows of one line to `batch`.
    mutating func decode(receivedAt: Int64, frame: UnsafeRawBufferPointer, into batch: inout SinkBatch) {
        batch.lines += 1
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self), frame.count > 1 else { return }
        var fields = Fields()
        var cursor = JSONCursor(base: base, end: frame.count)
        let parsed = Self.parse(&cursor, into: &fields, top: true)
        if fields.snapshotLine { return }
        let kind = Self.kind(fields, base: base, cursor: cursor)
        guard let kind else { return }
        guard parsed else {
            rejected += 1
            return
        }
        let before = batch.rows
        let ok: Bool
        switch kind {
        case .bookTicker: ok = bookTicker(fields, base, receivedAt, &batch)
        case .trades: ok = trade(fields, base, receivedAt, aggregate: false, &batch)
        case .aggTrades: ok = trade(fields, base, receivedAt, aggregate: true, &batch)
        case .depth: ok = depth(fields, base, receivedAt, &batch)
        case .snapshots, .bars: ok = true
        }
        if !ok { rejected += 1 }
        if batch.rows > before {
            if batch.firstReceivedAt == 0 { batch.firstReceivedAt = receivedAt }
            batch.lastReceivedAt = receivedAt
            batch.receivedStamps.append(receivedAt)
        }
    }

    private static func kind(_ f: Fields, base: UnsafePointer<UInt8>, cursor: JSONCursor) -> SinkTableKind? {
        if let e = f.event {
            if cursor.bytes(e, are: "bookTicker") { return .bookTicker }
            if cursor.bytes(e, are: "trade") { return .trades }
            if cursor.bytes(e, are: "aggTrade") { return .aggTrades }
            if cursor.bytes(e, are: "depthUpdate") { return .depth }
            return nil
        }
        // Spot's bookTicker has no `e`: its stream name or its shape says what it is.
        if let s = f.stream, cursor.bytes(s, contain: "@bookTicker") { return .bookTicker }
        if f.stream == nil, f.u != nil, f.b != nil, f.a != nil, f.bigB != nil, f.bigA != nil { return .bookTicker }
        return nil
    }

    private static func parse(_ cursor: inout JSONCursor, into f: inout Fields, top: Bool) -> Bool {
        cursor.readObject { c, key in
            let base = c.base
            if top && c.bytes(key, are: "data") { return Self.parse(&c, into: &f, top: false) }
            if top && c.bytes(key, are: "stream") {
                f.stream = c.readString()
                return f.stream != nil
            }
            if top && c.bytes(key, are: "snapshot") {
                f.snapshotLine = true
                return c.skipValue()
            }
            if key.count == 2 && c.bytes(key, are: "pu") {
                f.pu = c.readInteger()
                return f.pu != nil
            }
            guard key.count == 1 else { return c.skipValue() }
            switch base[key.lowerBound] {
            case UInt8(ascii: "e"): f.event = c.readString(); return f.event != nil
            case UInt8(ascii: "s"): f.symbol = c.readString(); return f.symbol != nil
            case UInt8(ascii: "u"): f.u = c.readInteger(); return f.u != nil
            case UInt8(ascii: "U"): f.bigU = c.readInteger(); return f.bigU != nil
            case UInt8(ascii: "t"): f.t = c.readInteger(); return f.t != nil
            case UInt8(ascii: "f"): f.f = c.readInteger(); return f.f != nil
            case UInt8(ascii: "l"): f.l = c.readInteger(); return f.l != nil
            case UInt8(ascii: "E"): f.eventTime = c.readInteger(); return f.eventTime != nil
            case UInt8(ascii: "T"): f.transactionTime = c.readInteger(); return f.transactionTime != nil
            case UInt8(ascii: "m"): f.m = c.readBool(); return f.m != nil
            case UInt8(ascii: "p"): f.p = c.readString(); return f.p != nil
            case UInt8(ascii: "q"): f.q = c.readString(); return f.q != nil
            case UInt8(ascii: "B"): f.bigB = c.readString(); return f.bigB != nil
            case UInt8(ascii: "A"): f.bigA = c.readString(); return f.bigA != nil
            case UInt8(ascii: "X"):
                guard let v = c.readString() else { return false }
                f.marketTrade = c.bytes(v, are: "MARKET")
                return true
            case UInt8(ascii: "b"), UInt8(ascii: "a"):
                // bookTicker: a price string; depth: an array of levels; aggTrade `a`: its id.
                c.skipWhitespace()
                let isBid = base[key.lowerBound] == UInt8(ascii: "b")
                switch c.current {
                case UInt8(ascii: "\""):
                    let v = c.readString()
                    if isBid { f.b = v } else { f.a = v }
                    return v != nil
                case UInt8(ascii: "["):
                    let start = c.position
                    guard c.readLevels({ _, _ in }) else { return false }
                    if isBid { f.bidsArray = start..<c.position } else { f.asksArray = start..<c.position }
                    return true
                default:
                    guard !isBid, let v = c.readInteger() else { return false }
                    f.aggID = v
                    return true
                }
            default:
                return c.skipValue()
            }
        }
    }

    // MARK: Rows

    private static func text(_ range: Range<Int>?, _ base: UnsafePointer<UInt8>) -> String? {
        guard let range else { return nil }
        return String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    /// The decimal text at `range`, if it is a plain decimal PostgreSQL's `numeric` takes.
    private static func decimal(_ range: Range<Int>?, _ base: UnsafePointer<UInt8>) -> String? {
        guard let range, range.count > 0, range.count <= 64 else { return nil }
        var i = range.lowerBound
        if base[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        var dot = false
        while i < range.upperBound {
            let b = base[i]
            if b >= 0x30 && b <= 0x39 {
                digits += 1
            } else if b == UInt8(ascii: ".") && !dot {
                dot = true
            } else {
                return nil
            }
            i += 1
        }
        return digits > 0 ? text(range, base) : nil
    }

    private static func symbol(_ range: Range<Int>?, _ base: UnsafePointer<UInt8>) -> String? {
        guard let range, range.count > 0, range.count <= 32 else { return nil }
        guard let s = text(range, base), s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return s.uppercased()
    }

    private static func micros(ms: Int64?) -> Int64 {
        guard let ms, ms >= 0, ms < 100_000_000_000_000 else { return -1 }
        return ms * 1000
    }

    private mutating func bookTicker(
        _ f: Fields, _ base: UnsafePointer<UInt8>, _ receivedAt: Int64, _ batch: inout SinkBatch
    ) -> Bool {
        guard let symbol = Self.symbol(f.symbol, base), let u = f.u, let bid = Self.decimal(f.b, base),
            let bidQty = Self.decimal(f.bigB, base), let ask = Self.decimal(f.a, base), let askQty = Self.decimal(f.bigA, base)
        else { return false }
        let event = Self.micros(ms: f.eventTime)
        let ts = event >= 0 ? event : receivedAt / 1000
        if tables.contains(.bookTicker) {
            batch.bookTickers.ts.append(ts)
            batch.bookTickers.receivedAt.append(receivedAt / 1000)
            batch.bookTickers.eventTime.append(event)
            batch.bookTickers.transactionTime.append(Self.micros(ms: f.transactionTime))
            batch.bookTickers.symbol.append(symbol)
            batch.bookTickers.updateID.append(u)
            batch.bookTickers.bidPrice.append(bid)
            batch.bookTickers.bidQuantity.append(bidQty)
            batch.bookTickers.askPrice.append(ask)
            batch.bookTickers.askQuantity.append(askQty)
        }
        if tables.contains(.snapshots) {
            let bucket = ts - ((ts % snapshotMicros) + snapshotMicros) % snapshotMicros
            if lastSnapshotBucket[symbol].map({ bucket > $0 }) ?? true {
                lastSnapshotBucket[symbol] = bucket
                batch.snapshots.ts.append(bucket)
                batch.snapshots.sourceTs.append(ts)
                batch.snapshots.symbol.append(symbol)
                batch.snapshots.updateID.append(u)
                batch.snapshots.bidPrice.append(bid)
                batch.snapshots.bidQuantity.append(bidQty)
                batch.snapshots.askPrice.append(ask)
                batch.snapshots.askQuantity.append(askQty)
            }
        }
        return true
    }

    private mutating func trade(
        _ f: Fields, _ base: UnsafePointer<UInt8>, _ receivedAt: Int64, aggregate: Bool, _ batch: inout SinkBatch
    ) -> Bool {
        guard let symbol = Self.symbol(f.symbol, base), let id = aggregate ? f.aggID : f.t,
            let price = Self.decimal(f.p, base), let quantity = Self.decimal(f.q, base), let maker = f.m,
            let tradeTime = f.transactionTime, Self.micros(ms: tradeTime) >= 0
        else { return false }
        if aggregate && (f.f == nil || f.l == nil) { return false }
        if tables.contains(aggregate ? .aggTrades : .trades) {
            func add(_ rows: inout SinkBatch.Trades) {
                rows.ts.append(Self.micros(ms: tradeTime))
                rows.receivedAt.append(receivedAt / 1000)
                rows.eventTime.append(Self.micros(ms: f.eventTime))
                rows.symbol.append(symbol)
                rows.tradeID.append(id)
                rows.price.append(price)
                rows.quantity.append(quantity)
                rows.buyerIsMaker.append(maker)
                if aggregate {
                    rows.firstTradeID.append(f.f!)
                    rows.lastTradeID.append(f.l!)
                }
            }
            if aggregate { add(&batch.aggTrades) } else { add(&batch.trades) }
        }
        // Bars come from trades when the capture has them, else from aggTrades.
        if tables.contains(.bars), !barIntervals.isEmpty, aggregate == barsFromAggTrades {
            var print = TradePrint()
            print.price = FixedDecimal.parse(base + f.p!.lowerBound, count: f.p!.count) ?? FixedDecimal(mantissa: 0, scale: 0)
            print.quantity = FixedDecimal.parse(base + f.q!.lowerBound, count: f.q!.count) ?? FixedDecimal(mantissa: 0, scale: 0)
            print.tradeTime = tradeTime
            print.id = id
            print.buyerIsMaker = maker
            print.isMarketTrade = f.marketTrade
            print.isAggregate = aggregate
            var aggregator = aggregators.removeValue(forKey: symbol) ?? BarAggregator(symbol: symbol, intervals: barIntervals)
            aggregator.add(print) { bar in Self.append(bar, to: &batch.bars) }
            aggregators[symbol] = aggregator
        }
        return true
    }

    private static func append(_ bar: Bar, to rows: inout SinkBatch.Bars) {
        rows.openTime.append(bar.openTime * 1000)
        rows.closeTime.append(bar.closeTime * 1000)
        rows.symbol.append(bar.symbol)
        rows.interval.append(bar.interval.description)
        rows.open.append(bar.open.description)
        rows.high.append(bar.high.description)
        rows.low.append(bar.low.description)
        rows.close.append(bar.close.description)
        rows.volume.append(Bar.text(bar.volume, scale: bar.volumeScale))
        rows.quoteVolume.append(Bar.text(bar.quoteVolume, scale: bar.quoteScale))
        rows.takerBuyVolume.append(Bar.text(bar.takerBuyVolume, scale: bar.volumeScale))
        rows.vwap.append(bar.vwap)
        rows.trades.append(Int64(bar.trades))
        rows.firstTradeID.append(bar.firstTradeID)
        rows.lastTradeID.append(bar.lastTradeID)
    }

    private mutating func depth(_ f: Fields, _ base: UnsafePointer<UInt8>, _ receivedAt: Int64, _ batch: inout SinkBatch) -> Bool {
        guard tables.contains(.depth) else { return true }
        guard let symbol = Self.symbol(f.symbol, base), let first = f.bigU, let final = f.u,
            let bids = Self.text(f.bidsArray, base), let asks = Self.text(f.asksArray, base)
        else { return false }
        let event = Self.micros(ms: f.eventTime)
        batch.depth.ts.append(event >= 0 ? event : receivedAt / 1000)
        batch.depth.receivedAt.append(receivedAt / 1000)
        batch.depth.transactionTime.append(Self.micros(ms: f.transactionTime))
        batch.depth.symbol.append(symbol)
        batch.depth.firstUpdateID.append(first)
        batch.depth.finalUpdateID.append(final)
        batch.depth.previousFinalUpdateID.append(f.pu ?? -1)
        batch.depth.bids.append(bids)
        batch.depth.asks.append(asks)
        return true
    }

    // MARK: State in the cursor

    /// The open bars, for the cursor: a resumed sink continues them instead of writing a bar
    /// that lacks the trades before the cursor.
    var state: JSONValue {
        guard !aggregators.isEmpty else { return .null }
        var open: [JSONValue] = []
        for key in aggregators.keys.sorted() {
            for bar in aggregators[key]!.openBars {
                open.append(.object([("key", .string(key)), ("bar", Self.json(bar))]))
            }
        }
        return .object([("open_bars", .array(open))])
    }

    /// Restores ``state`` (open bars whose interval is no longer configured are dropped).
    mutating func restore(_ state: JSONValue) {
        for entry in state["open_bars"]?.arrayValue ?? [] {
            guard let key = entry["key"]?.stringValue, let json = entry["bar"], let bar = Self.bar(json),
                barIntervals.contains(bar.interval)
            else { continue }
            var aggregator = aggregators[key] ?? BarAggregator(symbol: bar.symbol, intervals: barIntervals)
            aggregator.restore(bar)
            aggregators[key] = aggregator
        }
    }

    private static func json(_ b: Bar) -> JSONValue {
        .object([
            ("symbol", .string(b.symbol)), ("interval", .string(b.interval.description)), ("open_time", .int(b.openTime)),
            ("open", .string(b.open.description)), ("high", .string(b.high.description)),
            ("low", .string(b.low.description)), ("close", .string(b.close.description)),
            ("volume", .string(String(b.volume))), ("taker_buy_volume", .string(String(b.takerBuyVolume))),
            ("volume_scale", .int(Int64(b.volumeScale))), ("quote_volume", .string(String(b.quoteVolume))),
            ("quote_scale", .int(Int64(b.quoteScale))), ("trades", .int(Int64(b.trades))),
            ("first_trade_id", .int(b.firstTradeID)), ("last_trade_id", .int(b.lastTradeID)),
        ])
    }

    private static func bar(_ j: JSONValue) -> Bar? {
        guard let symbol = j["symbol"]?.stringValue, let interval = j["interval"]?.stringValue.flatMap(BarInterval.init),
            let openTime = j["open_time"]?.intValue, let open = j["open"]?.stringValue.flatMap(FixedDecimal.init),
            let high = j["high"]?.stringValue.flatMap(FixedDecimal.init), let low = j["low"]?.stringValue.flatMap(FixedDecimal.init),
            let close = j["close"]?.stringValue.flatMap(FixedDecimal.init),
            let volume = j["volume"]?.stringValue.flatMap({ Int128($0) }),
            let takerBuy = j["taker_buy_volume"]?.stringValue.flatMap({ Int128($0) }),
            let volumeScale = j["volume_scale"]?.intValue, let quote = j["quote_volume"]?.stringValue.flatMap({ Int128($0) }),
            let quoteScale = j["quote_scale"]?.intValue, let trades = j["trades"]?.intValue,
            let first = j["first_trade_id"]?.intValue, let last = j["last_trade_id"]?.intValue,
            (0...36).contains(volumeScale), (0...36).contains(quoteScale)
        else { return nil }
        return Bar(
            symbol: symbol, interval: interval, openTime: openTime, open: open, high: high, low: low, close: close,
            volume: volume, takerBuyVolume: takerBuy, volumeScale: UInt8(volumeScale), quoteVolume: quote,
            quoteScale: UInt8(quoteScale), trades: Int(trades), firstTradeID: first, lastTradeID: last)
    }
}
