/// A cursor over raw writable memory for composing frames byte by byte.
///
/// The synthetic hot path formats ~150 bytes per message; doing that through `ByteBuffer`'s generic write
/// methods costs a bounds/CoW check per field, and in debug builds an unspecialized call. Formatting into the
/// buffer's reserved bytes with plain pointer stores keeps the cost per message low in every build.
struct FrameWriter {
    let base: UnsafeMutableRawPointer
    var position: Int

    init(base: UnsafeMutableRawPointer, position: Int = 0) {
        self.base = base
        self.position = position
    }

    @inline(__always)
    mutating func write(byte: UInt8) {
        self.base.storeBytes(of: byte, toByteOffset: self.position, as: UInt8.self)
        self.position &+= 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (self.base + self.position).copyMemory(from: source, byteCount: bytes.count)
        self.position &+= bytes.count
    }

    @inline(__always)
    mutating func write(_ text: StaticString) {
        self.write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.write($0) }
    }

    /// Decimal ASCII of `value`.
    @inline(__always)
    mutating func writeDecimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest != 0 {
            digits &+= 1
            rest /= 10
        }
        var remaining = value
        var index = self.position &+ digits &- 1
        while index >= self.position {
            let digit = UInt8(truncatingIfNeeded: 0x30 &+ remaining % 10)
            self.base.storeBytes(of: digit, toByteOffset: index, as: UInt8.self)
            remaining /= 10
            index &-= 1
        }
        self.position &+= digits
    }

    /// `value / 10^fractionDigits` with exactly `fractionDigits` decimals ("61800.20", "2.507").
    @inline(__always)
    mutating func writeFixedPoint(_ value: UInt64, fractionDigits: Int) {
        var scale: UInt64 = 1
        for _ in 0..<fractionDigits { scale &*= 10 }
        self.writeDecimal(value / scale)
        self.write(byte: UInt8(ascii: "."))
        var fraction = value % scale
        var index = self.position &+ fractionDigits &- 1
        while index >= self.position {
            let digit = UInt8(truncatingIfNeeded: 0x30 &+ fraction % 10)
            self.base.storeBytes(of: digit, toByteOffset: index, as: UInt8.self)
            fraction /= 10
            index &-= 1
        }
        self.position &+= fractionDigits
    }
}
