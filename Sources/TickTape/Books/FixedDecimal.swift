/// An exact decimal number as Binance writes prices and quantities: a signed 64-bit mantissa
/// and the count of digits after the decimal point (`"58123.10"` is mantissa 5812310, scale 2).
///
/// Why this shape: Binance sends every price and quantity as a JSON string with a fixed number
/// of decimals per symbol and field (USD-M BTCUSDT `"58123.10"` / `"0.001"`, spot
/// `"61837.63000000"`). Keeping the scale as written (trailing zeros included) lets a book print
/// back exactly the digits Binance sent, and an integer mantissa makes comparison and
/// arithmetic exact with no `Double` rounding. Eighteen significant digits fit, far more than
/// any Binance price or quantity uses. Parsing reads raw UTF-8 bytes and allocates nothing.
package struct FixedDecimal: Hashable, Sendable, CustomStringConvertible {
    /// The value times 10^`scale`.
    package var mantissa: Int64
    /// Digits after the decimal point, as written.
    package var scale: UInt8

    /// The largest scale handled (10^18 still fits an `Int64`).
    package static let maxScale: UInt8 = 18

    package init(mantissa: Int64, scale: UInt8) {
        self.mantissa = mantissa
        self.scale = scale
    }

    /// Powers of ten up to 10^18.
    static let powers: [Int64] = {
        var out: [Int64] = [1]
        for _ in 0..<18 { out.append(out[out.count - 1] * 10) }
        return out
    }()

    /// 10^`n` for `n` in 0...18.
    package static func power(_ n: Int) -> Int64 { powers[n] }

    /// Parses `[-]digits[.digits]` (no exponent, no surrounding quotes). Nil on anything else,
    /// on more than 18 fractional digits, or on overflow.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> FixedDecimal? {
        guard let base = bytes.baseAddress else { return nil }
        return parse(base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    }

    /// Parses `count` bytes at `p`; see ``parse(_:)-(UnsafeRawBufferPointer)``.
    package static func parse(_ p: UnsafePointer<UInt8>, count: Int) -> FixedDecimal? {
        var i = 0
        var negative = false
        if i < count, p[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var value: Int64 = 0
        var digits = 0
        var scale = -1
        while i < count {
            let c = p[i]
            if c == UInt8(ascii: ".") {
                guard scale < 0, digits > 0 else { return nil }
                scale = 0
            } else {
                let d = c &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(d))
                guard !o1, !o2 else { return nil }
                value = s
                digits += 1
                if scale >= 0 { scale += 1 }
            }
            i += 1
        }
        guard digits > 0, scale != 0, scale <= Int(maxScale) else { return nil }
        return FixedDecimal(mantissa: negative ? -value : value, scale: UInt8(max(scale, 0)))
    }

    /// Parses a `String` (tests and the CLI; not the hot path).
    package init?(_ text: String) {
        var s = text
        guard let v = s.withUTF8({ FixedDecimal.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = v
    }

    /// Whether the value is zero (a quantity of zero removes a level).
    package var isZero: Bool { mantissa == 0 }

    /// The mantissa at another scale: exact when widening; nil when narrowing would drop a
    /// nonzero digit or widening would overflow.
    package func mantissa(atScale target: UInt8) -> Int64? {
        if target == scale { return mantissa }
        if target > scale {
            let (v, o) = mantissa.multipliedReportingOverflow(by: Self.power(Int(target - scale)))
            return o ? nil : v
        }
        let f = Self.power(Int(scale - target))
        return mantissa % f == 0 ? mantissa / f : nil
    }

    /// Appends the digits exactly as Binance writes them (`scale` decimals, trailing zeros kept).
    package func write(into out: inout [UInt8]) {
        Self.write(mantissa: mantissa, scale: scale, into: &out)
    }

    /// Appends `mantissa / 10^scale` with exactly `scale` decimals.
    package static func write(mantissa: Int64, scale: UInt8, into out: inout [UInt8]) {
        var m = mantissa.magnitude
        if mantissa < 0 { out.append(UInt8(ascii: "-")) }
        // At most 20 digits plus a point; written backwards into a fixed tuple-free scratch.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buf in
            var n = 0
            let s = Int(scale)
            repeat {
                if n == s && s > 0 {
                    buf[n] = UInt8(ascii: ".")
                    n += 1
                }
                buf[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            } while m > 0 || n <= s
            var k = n - 1
            while k >= 0 {
                out.append(buf[k])
                k -= 1
            }
        }
    }

    /// The Binance-style text.
    package var description: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension FixedDecimal: Comparable {
    /// Numeric order (scales may differ).
    package static func < (a: FixedDecimal, b: FixedDecimal) -> Bool {
        if a.scale == b.scale { return a.mantissa < b.mantissa }
        let s = max(a.scale, b.scale)
        let x = Int128(a.mantissa) * Int128(power(Int(s - a.scale)))
        let y = Int128(b.mantissa) * Int128(power(Int(s - b.scale)))
        return x < y
    }
}
