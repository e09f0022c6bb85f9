import BinanceWire
import NIOCore
import NIOWebSocket
import Synchronization

/// The synthetic diff-depth schedule: the true books, and every event of every depth stream, generated in due
/// order as far as some connection (or a REST request) has needed.
///
/// Unlike the bookTicker feed, a depth event cannot be a pure function of its index (it carries the levels
/// that changed since the stream's previous event), so the events are generated once, under a lock, and kept:
/// every connection sends the identical event `i`. Book update `k` (symbol `k % symbols`) is due at `k / rate`;
/// each aggregated speed closes a window at every multiple of its interval and sends one event per symbol that
/// changed in it (none when nothing changed, as Binance). An unpublished update (a chain break) first closes
/// the symbol's open windows early, so the break shows on every speed.
///
/// Memory: the events are kept for the simulator's life, about 100 bytes plus 16 per level each; a long CLI run
/// at a high rate should use fewer speeds.
final class SyntheticDepthFeed: Sendable {
    private struct Window {
        var firstID: UInt64 = 0
        var lastID: UInt64 = 0
        var previousID: UInt64 = 0
        var lastUpdateOffset: Int64 = 0
        var bids: [Int64: Int64] = [:]
        var asks: [Int64: Int64] = [:]
        var isEmpty: Bool { self.firstID == 0 }
    }

    private struct State {
        var books: [SimulatedBook]
        var nextUpdate = 0
        /// `[speed][symbol]`.
        var windows: [[Window]]
        var nextBoundary: [Int64]
        var messages: [DepthMessage] = []
        var armedBreaks: Set<Int> = []
        var nextConfiguredBreak = 0
        var breaks: [ChainBreak] = []
    }

    let configuration: SyntheticDepthBook
    let seed: UInt64
    /// `<symbol><speed suffix>`, symbol-major: stream `symbol * speeds.count + speed`.
    let streamNames: [String]
    private let nanosPerUpdate: Double
    private let intervals: [Int64]
    private let breakOffsets: [Int64]
    private let state: Mutex<State>
    private let prefixes: [[UInt8]]
    private let symbolFields: [[UInt8]]

    init(configuration: SyntheticDepthBook, seed: UInt64) throws {
        guard !configuration.symbols.isEmpty, configuration.rate.isFinite, configuration.rate > 0,
            !configuration.speeds.isEmpty, configuration.levelsPerSide >= 1,
            Set(configuration.symbols).count == configuration.symbols.count,
            configuration.speeds.allSatisfy({ DepthSpeed.all(for: configuration.market).contains($0) })
        else {
            throw SimulatorError.invalidSyntheticSource
        }
        self.configuration = configuration
        self.seed = seed
        self.nanosPerUpdate = 1e9 / configuration.rate
        let market = configuration.market
        self.intervals = configuration.speeds.map { $0.intervalNanos(market: market) }
        self.breakOffsets = configuration.chainBreaks.map { DelaySampler.nanos($0) }.sorted()
        var names: [String] = []
        var prefixes: [[UInt8]] = []
        for symbol in configuration.symbols {
            for speed in configuration.speeds {
                let name = symbol + speed.suffix
                names.append(name)
                prefixes.append(Array(#"{"stream":""#.utf8) + Array(name.utf8) + Array(#"","data":"#.utf8))
            }
        }
        self.streamNames = names
        self.prefixes = prefixes
        self.symbolFields = configuration.symbols.map { Array(#","s":""#.utf8) + Array($0.uppercased().utf8) + Array(#"","U":"#.utf8) }
        let books = configuration.symbols.enumerated().map { index, symbol in
            SimulatedBook(
                symbol: symbol, symbolIndex: index, market: market, levelsPerSide: configuration.levelsPerSide, seed: seed)
        }
        self.state = Mutex(
            State(
                books: books,
                windows: Array(repeating: Array(repeating: Window(), count: books.count), count: configuration.speeds.count),
                nextBoundary: self.intervals))
    }

    /// A fresh book of `symbol` in its initial state, for rebuilding the truth independently of the live feed.
    func initialBook(symbol index: Int) -> SimulatedBook {
        SimulatedBook(
            symbol: self.configuration.symbols[index], symbolIndex: index, market: self.configuration.market,
            levelsPerSide: self.configuration.levelsPerSide, seed: self.seed)
    }

    // MARK: - Schedule access

    func message(_ index: Int) -> DepthMessage {
        self.state.withLock { state in
            while state.messages.count <= index { self.generateNext(&state) }
            return state.messages[index]
        }
    }

    func dueOffset(_ index: Int) -> Int64 { self.message(index).dueOffset }

    func streamID(_ index: Int) -> Int { self.message(index).stream }

    /// Index of the first event due strictly after `offset`.
    func firstIndex(dueAfter offset: Int64) -> Int {
        self.state.withLock { state in
            while (state.messages.last?.dueOffset ?? .min) <= offset { self.generateNext(&state) }
            var low = 0
            var high = state.messages.count
            while low < high {
                let middle = (low + high) / 2
                if state.messages[middle].dueOffset <= offset { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// The live book of symbol `index` with every update due by `offset` applied (and possibly a few more that
    /// a connection already needed): what a REST snapshot returns. Also the offset of its last update.
    func snapshot(symbol index: Int, limit: Int, at offset: Int64) -> (depth: SimulatedDepth, lastUpdateOffset: Int64) {
        self.state.withLock { state in
            while Int64(Double(state.nextUpdate) * self.nanosPerUpdate) <= offset { self.generateNext(&state) }
            let book = state.books[index]
            let updates = UInt64(state.nextUpdate)
            let symbols = UInt64(state.books.count)
            let ownUpdates = updates / symbols + (UInt64(index) < updates % symbols ? 1 : 0)
            let lastOffset = ownUpdates == 0 ? 0 : Int64(Double((ownUpdates - 1) * symbols + UInt64(index)) * self.nanosPerUpdate)
            return (book.depth(limit: limit), lastOffset)
        }
    }

    /// Makes the next update of `symbol` (every symbol when `nil`) unpublished: a chain break on every
    /// connection.
    func breakChain(symbol: Int?) {
        self.state.withLock { state in
            if let symbol {
                state.armedBreaks.insert(symbol)
            } else {
                state.armedBreaks.formUnion(0..<state.books.count)
            }
        }
    }

    var chainBreaks: [ChainBreak] { self.state.withLock { $0.breaks } }

    // MARK: - Generation

    private func generateNext(_ state: inout State) {
        let updateOffset = Int64(Double(state.nextUpdate) * self.nanosPerUpdate)
        var boundarySpeed: Int?
        for (speed, interval) in self.intervals.enumerated() where interval > 0 && state.nextBoundary[speed] <= updateOffset {
            if boundarySpeed.map({ state.nextBoundary[speed] < state.nextBoundary[$0] }) ?? true { boundarySpeed = speed }
        }
        if let speed = boundarySpeed {
            let at = state.nextBoundary[speed]
            for symbol in 0..<state.books.count { self.close(speed: speed, symbol: symbol, at: at, &state) }
            state.nextBoundary[speed] += self.intervals[speed]
            return
        }
        let symbol = state.nextUpdate % state.books.count
        state.nextUpdate += 1
        while state.nextConfiguredBreak < self.breakOffsets.count, self.breakOffsets[state.nextConfiguredBreak] <= updateOffset {
            state.armedBreaks.formUnion(0..<state.books.count)
            state.nextConfiguredBreak += 1
        }
        let step = state.books[symbol].step()
        if state.armedBreaks.remove(symbol) != nil {
            for speed in self.intervals.indices where self.intervals[speed] > 0 {
                self.close(speed: speed, symbol: symbol, at: updateOffset, &state)
            }
            state.breaks.append(
                ChainBreak(symbol: self.configuration.symbols[symbol], firstUpdateID: step.firstID, lastUpdateID: step.lastID))
            return
        }
        for (speed, interval) in self.intervals.enumerated() {
            if interval == 0 {
                state.messages.append(
                    DepthMessage(
                        dueOffset: updateOffset, stream: symbol * self.intervals.count + speed, symbol: symbol,
                        firstID: step.firstID, lastID: step.lastID, previousID: step.previousID,
                        lastUpdateOffset: updateOffset, bids: step.bids, asks: step.asks))
                continue
            }
            var window = state.windows[speed][symbol]
            if window.isEmpty {
                window.firstID = step.firstID
                window.previousID = step.previousID
            }
            window.lastID = step.lastID
            window.lastUpdateOffset = updateOffset
            for level in step.bids { window.bids[level.price] = level.quantity }
            for level in step.asks { window.asks[level.price] = level.quantity }
            state.windows[speed][symbol] = window
        }
    }

    /// Sends the aggregated event of one window, if anything changed in it.
    private func close(speed: Int, symbol: Int, at offset: Int64, _ state: inout State) {
        let window = state.windows[speed][symbol]
        guard !window.isEmpty else { return }
        state.windows[speed][symbol] = Window()
        state.messages.append(
            DepthMessage(
                dueOffset: offset, stream: symbol * self.intervals.count + speed, symbol: symbol,
                firstID: window.firstID, lastID: window.lastID, previousID: window.previousID,
                lastUpdateOffset: window.lastUpdateOffset,
                bids: window.bids.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price > $1.price },
                asks: window.asks.map { BookLevel(price: $0.key, quantity: $0.value) }.sorted { $0.price < $1.price }))
    }

    // MARK: - Encoding

    /// Appends event `index` as one unmasked text frame: `{"e":"depthUpdate","E":…,"T":…,"s":…,"U":…,"u":…,
    /// "pu":…,"b":[["p","q"],…],"a":[…]}` on USD-M, without `T` and `pu` on spot; with `combined` inside
    /// `{"stream":…,"data":…}`.
    func writeFrame(_ index: Int, combined: Bool, wallClockBaseNanos: Int64, into buffer: inout ByteBuffer) {
        let message = self.message(index)
        let market = self.configuration.market
        let eventMillis = UInt64(max(0, wallClockBaseNanos &+ message.dueOffset) / 1_000_000)
        let updateMillis = UInt64(max(0, wallClockBaseNanos &+ message.lastUpdateOffset) / 1_000_000)
        let prefix = self.prefixes[message.stream]
        let symbolField = self.symbolFields[message.symbol]
        let maximum = prefix.count + symbolField.count + 200 + 64 * (message.bids.count + message.asks.count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum + 10) { memory in
            // The payload is written after room for the longest (10-byte) header, then moved left.
            var writer = FrameWriter(base: memory.baseAddress!, position: 10)
            if combined { writer.write(prefix) }
            writer.write(#"{"e":"depthUpdate","E":"#)
            writer.writeDecimal(eventMillis)
            if market == .usdm {
                writer.write(#","T":"#)
                writer.writeDecimal(updateMillis)
            }
            writer.write(symbolField)
            writer.writeDecimal(message.firstID)
            writer.write(#","u":"#)
            writer.writeDecimal(message.lastID)
            if market == .usdm {
                writer.write(#","pu":"#)
                writer.writeDecimal(message.previousID)
            }
            writer.write(#","b":["#)
            Self.write(message.bids, market: market, into: &writer)
            writer.write(#"],"a":["#)
            Self.write(message.asks, market: market, into: &writer)
            writer.write(#"]}"#)
            if combined { writer.write(byte: UInt8(ascii: "}")) }
            return Self.finishFrame(memory.baseAddress!, payloadLength: writer.position - 10)
        }
    }

    private static func write(_ levels: [BookLevel], market: SimulatedMarket, into writer: inout FrameWriter) {
        for (offset, level) in levels.enumerated() {
            if offset > 0 { writer.write(byte: UInt8(ascii: ",")) }
            writer.write(#"[""#)
            writer.writeFixedPoint(UInt64(level.price) &* market.priceScale, fractionDigits: market.priceFractionDigits)
            writer.write(#"",""#)
            writer.writeFixedPoint(UInt64(level.quantity) &* market.quantityScale, fractionDigits: market.quantityFractionDigits)
            writer.write(#""]"#)
        }
    }

    /// Writes the text-frame header for a payload that starts at byte 10 and moves the payload behind it;
    /// returns the frame's length.
    private static func finishFrame(_ base: UnsafeMutableRawPointer, payloadLength length: Int) -> Int {
        base.storeBytes(of: 0x80 | FrameOpcode.text.rawValue, toByteOffset: 0, as: UInt8.self)
        let header: Int
        if length <= 125 {
            base.storeBytes(of: UInt8(length), toByteOffset: 1, as: UInt8.self)
            header = 2
        } else if length <= 0xFFFF {
            base.storeBytes(of: 126, toByteOffset: 1, as: UInt8.self)
            base.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
            header = 4
        } else {
            base.storeBytes(of: 127, toByteOffset: 1, as: UInt8.self)
            base.storeBytes(of: UInt64(length).bigEndian, toByteOffset: 2, as: UInt64.self)
            header = 10
        }
        (base + header).copyMemory(from: base + 10, byteCount: length)
        return header + length
    }
}
