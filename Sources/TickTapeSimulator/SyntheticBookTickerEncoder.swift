import BinanceWire
import NIOCore

/// Writes synthetic message `i` as a complete WebSocket text frame straight into a `ByteBuffer`.
///
/// Everything in a payload is a pure function of the message index, the seed and the due time, so all
/// connections (and ``ExchangeSimulator/frame(message:combined:)``) produce identical bytes without sharing
/// state. Per symbol `s`, the `n`-th message has update id `base(s) + 10·n + r(n)` with `r(n)` in `0...9`:
/// consecutive ids therefore always increase, by 1 to 19, as Binance's gappy `u` does.
final class SyntheticBookTickerEncoder: Sendable {
    /// One symbol's constant bytes, prepared once.
    struct Symbol: Sendable {
        /// `"<symbol>@bookTicker"`.
        var streamName: String
        /// `{"stream":"<symbol>@bookTicker","data":`.
        var envelopePrefix: [UInt8]
        /// `,"s":"BTCUSDT","b":"`: the bytes between `u` and the bid price.
        var symbolField: [UInt8]
        /// First update id of this symbol.
        var updateIDBase: UInt64
        /// Mid price in cents around which bids wander.
        var basePriceCents: UInt64
        /// Upper bound of one frame's size, header included.
        var maximumFrameBytes: Int
    }

    let symbols: [Symbol]
    let seed: UInt64

    init(configuration: SyntheticBookTicker, seed: UInt64) {
        self.seed = seed
        self.symbols = configuration.symbols.enumerated().map { offset, symbol in
            let streamName = symbol + "@bookTicker"
            let envelopePrefix =
                Array(#"{"stream":""#.utf8) + Array(streamName.utf8) + Array(#"","data":"#.utf8)
            let symbolField =
                Array(#","s":""#.utf8) + Array(symbol.uppercased().utf8) + Array(#"","b":""#.utf8)
            return Symbol(
                streamName: streamName,
                envelopePrefix: envelopePrefix,
                symbolField: symbolField,
                updateIDBase: 5_000_000_000_000 + UInt64(offset) * 1_000_000_000_000,
                basePriceCents: symbol == "btcusdt" ? 6_180_020 : 10_000 + Self.fnv1a(symbol) % 5_000_000,
                maximumFrameBytes: 10 + envelopePrefix.count + symbolField.count + 256
            )
        }
    }

    /// Update id of the `n`-th message of symbol `symbolIndex`.
    @inline(__always)
    func updateID(symbolIndex: Int, ordinal n: UInt64) -> UInt64 {
        let jitter = DeterministicRandom.value(seed: self.seed, lane: 100 &+ UInt64(symbolIndex), index: n) % 10
        return self.symbols[symbolIndex].updateIDBase &+ 10 &* n &+ jitter
    }

    /// Appends message `index` as one unmasked text frame: the bare payload
    /// `{"e":"bookTicker","u":…,"s":…,"b":…,"B":…,"a":…,"A":…,"T":…,"E":…}`, or with `combined` that payload
    /// inside `{"stream":…,"data":…}`.
    @inline(__always)
    func writeFrame(index: Int, eventTimeMillis: UInt64, combined: Bool, into buffer: inout ByteBuffer) {
        let symbolIndex = index % self.symbols.count
        let n = UInt64(index / self.symbols.count)
        let lane = UInt64(symbolIndex) << 8
        let coarse = DeterministicRandom.value(seed: self.seed, lane: 200 &+ lane, index: n >> 5) % 2_001
        let fine = DeterministicRandom.value(seed: self.seed, lane: 300 &+ lane, index: n)
        let updateID = self.updateID(symbolIndex: symbolIndex, ordinal: n)
        self.symbols.withUnsafeBufferPointer { symbols in
            let symbol = symbols[symbolIndex]
            let bid = symbol.basePriceCents &+ coarse &+ (fine & 0x7) &- 1_000
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: symbol.maximumFrameBytes) { memory in
                // Content starts after a 4-byte header (the 16-bit length form); moved left if it is short.
                var writer = FrameWriter(base: memory.baseAddress!, position: 4)
                if combined { writer.write(symbol.envelopePrefix) }
                writer.write(#"{"e":"bookTicker","u":"#)
                writer.writeDecimal(updateID)
                writer.write(symbol.symbolField)
                writer.writeFixedPoint(bid, fractionDigits: 2)
                writer.write(#"","B":""#)
                writer.writeFixedPoint(1 &+ (fine >> 8) % 5_000, fractionDigits: 3)
                writer.write(#"","a":""#)
                writer.writeFixedPoint(bid &+ 10, fractionDigits: 2)
                writer.write(#"","A":""#)
                writer.writeFixedPoint(1 &+ (fine >> 24) % 5_000, fractionDigits: 3)
                writer.write(#"","T":"#)
                writer.writeDecimal(eventTimeMillis)
                writer.write(#","E":"#)
                writer.writeDecimal(eventTimeMillis)
                writer.write(byte: UInt8(ascii: "}"))
                if combined { writer.write(byte: UInt8(ascii: "}")) }
                let length = writer.position - 4
                let base = memory.baseAddress!
                base.storeBytes(of: 0x80 | FrameOpcode.text.rawValue, toByteOffset: 0, as: UInt8.self)
                if length <= 125 {
                    base.storeBytes(of: UInt8(length), toByteOffset: 1, as: UInt8.self)
                    (base + 2).copyMemory(from: base + 4, byteCount: length)
                    return 2 + length
                }
                base.storeBytes(of: 126, toByteOffset: 1, as: UInt8.self)
                base.storeBytes(of: UInt8(truncatingIfNeeded: length >> 8), toByteOffset: 2, as: UInt8.self)
                base.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: 3, as: UInt8.self)
                return 4 + length
            }
        }
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
