import NIOCore

/// Writes the payload of synthetic message `i` straight into a `ByteBuffer`.
///
/// Everything in a payload is a pure function of the message index, the seed and the due time, so all
/// connections (and ``ExchangeSimulator/frame(message:combined:)``) produce identical bytes without sharing
/// state. Per symbol `s`, the `n`-th message has update id `base(s) + 10·n + r(n)` with `r(n)` in `0...9`:
/// consecutive ids therefore always increase, by 1 to 19, as Binance's gappy `u` does.
struct SyntheticBookTickerEncoder: Sendable {
    /// One symbol's constant bytes, prepared once.
    struct Symbol: Sendable {
        /// `"<symbol>@bookTicker"`.
        var streamName: String
        /// `,"s":"BTCUSDT","b":"`: the bytes between `u` and the bid price.
        var symbolField: [UInt8]
        /// First update id of this symbol.
        var updateIDBase: UInt64
        /// Mid price in cents around which bids wander.
        var basePriceCents: UInt64
    }

    let symbols: [Symbol]
    let seed: UInt64

    init(configuration: SyntheticBookTicker, seed: UInt64) {
        self.seed = seed
        self.symbols = configuration.symbols.enumerated().map { offset, symbol in
            let upper = symbol.uppercased()
            let basePrice: UInt64 =
                symbol == "btcusdt"
                ? 6_180_020
                : 10_000 + Self.fnv1a(symbol) % 5_000_000
            return Symbol(
                streamName: symbol + "@bookTicker",
                symbolField: Array(#","s":""#.utf8) + Array(upper.utf8) + Array(#"","b":""#.utf8),
                updateIDBase: 5_000_000_000_000 + UInt64(offset) * 1_000_000_000_000,
                basePriceCents: basePrice
            )
        }
    }

    /// Update id of the `n`-th message of symbol `symbolIndex`.
    @inline(__always)
    func updateID(symbolIndex: Int, ordinal n: UInt64) -> UInt64 {
        let jitter = DeterministicRandom.value(seed: self.seed, lane: 100 &+ UInt64(symbolIndex), index: n) % 10
        return self.symbols[symbolIndex].updateIDBase &+ 10 &* n &+ jitter
    }

    /// Writes `{"e":"bookTicker","u":…,"s":…,"b":…,"B":…,"a":…,"A":…,"T":…,"E":…}` for message `index`.
    @inline(__always)
    func writePayload(index: Int, eventTimeMillis: UInt64, into buffer: inout ByteBuffer) {
        let symbolIndex = index % self.symbols.count
        let n = UInt64(index / self.symbols.count)
        let symbol = self.symbols[symbolIndex]
        let lane = UInt64(symbolIndex) << 8
        let coarse = DeterministicRandom.value(seed: self.seed, lane: 200 &+ lane, index: n >> 5) % 2_001
        let fine = DeterministicRandom.value(seed: self.seed, lane: 300 &+ lane, index: n)
        let bid = symbol.basePriceCents &+ coarse &+ (fine & 0x7) &- 1_000
        let bidQuantity = 1 &+ (fine >> 8) % 5_000
        let askQuantity = 1 &+ (fine >> 24) % 5_000

        buffer.writeStaticString(#"{"e":"bookTicker","u":"#)
        buffer.writeDecimal(self.updateID(symbolIndex: symbolIndex, ordinal: n))
        buffer.writeBytes(symbol.symbolField)
        buffer.writeFixedPoint(bid, fractionDigits: 2)
        buffer.writeStaticString(#"","B":""#)
        buffer.writeFixedPoint(bidQuantity, fractionDigits: 3)
        buffer.writeStaticString(#"","a":""#)
        buffer.writeFixedPoint(bid &+ 10, fractionDigits: 2)
        buffer.writeStaticString(#"","A":""#)
        buffer.writeFixedPoint(askQuantity, fractionDigits: 3)
        buffer.writeStaticString(#"","T":"#)
        buffer.writeDecimal(eventTimeMillis)
        buffer.writeStaticString(#","E":"#)
        buffer.writeDecimal(eventTimeMillis)
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
