/// Sizes written for people: `"256MiB"`, `"1GiB"`, `"64KiB"`, `"1MB"` (10^6), or a plain
/// number of bytes.
///
/// Both binary (KiB, MiB, GiB, TiB) and decimal (kB/KB, MB, GB, TB) units are accepted, and
/// they mean what they say: mixing them up is a 5–10 % error that is hard to notice.
package enum ByteSize {
    private static let units: [(name: String, bytes: Int64)] = [
        ("b", 1),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
    ]

    private static let accepted = "expected a size like \"64KiB\", \"256MiB\", \"1GiB\", \"1MB\" or a number of bytes"

    /// Parses `<number>[ ]<unit>`; units are case-insensitive. A decimal fraction is allowed
    /// (`"1.5GiB"`) when the result is a whole number of bytes.
    package static func parse(_ text: String) throws(ConfigValueError) -> Int64 {
        let utf8 = Array(text.utf8)
        var index = 0
        var integerPart: Int64 = 0
        var fractionDigits: [Int64] = []
        var sawDot = false
        var digitCount = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte >= 0x30 && byte <= 0x39 {
                digitCount += 1
                let digit = Int64(byte - 0x30)
                if sawDot {
                    fractionDigits.append(digit)
                } else {
                    let (times, overflow1) = integerPart.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times.addingReportingOverflow(digit)
                    guard !overflow1, !overflow2 else { throw ConfigValueError("size \"\(text)\" is too large") }
                    integerPart = sum
                }
            } else if byte == UInt8(ascii: ".") && !sawDot {
                sawDot = true
            } else {
                break
            }
            index += 1
        }
        guard digitCount > fractionDigits.count, !sawDot || !fractionDigits.isEmpty else {
            throw ConfigValueError("invalid size \"\(text)\"; \(accepted)")
        }
        if index < utf8.count, utf8[index] == UInt8(ascii: " ") {
            index += 1
        }
        let unitText = String(decoding: utf8[index...], as: UTF8.self)
        let unit: Int64
        if unitText.isEmpty {
            unit = 1
        } else if let match = units.first(where: { $0.name == unitText.lowercased() }) {
            unit = match.bytes
        } else {
            throw ConfigValueError("unknown unit \"\(unitText)\" in size \"\(text)\"; \(accepted)")
        }
        let (whole, overflow1) = integerPart.multipliedReportingOverflow(by: unit)
        guard !overflow1 else { throw ConfigValueError("size \"\(text)\" is too large") }
        // value of the fraction in bytes, exactly: sum(d_i * unit / 10^i) must be whole
        var numerator: Int64 = 0
        var denominator: Int64 = 1
        for digit in fractionDigits {
            guard denominator < 1_000_000_000_000 else {
                throw ConfigValueError("size \"\(text)\" has too many decimals")
            }
            numerator = numerator * 10 + digit
            denominator *= 10
        }
        let (scaled, overflow2) = numerator.multipliedReportingOverflow(by: unit)
        guard !overflow2 else { throw ConfigValueError("size \"\(text)\" is too large") }
        guard scaled % denominator == 0 else {
            throw ConfigValueError("size \"\(text)\" is not a whole number of bytes")
        }
        let (total, overflow3) = whole.addingReportingOverflow(scaled / denominator)
        guard !overflow3 else { throw ConfigValueError("size \"\(text)\" is too large") }
        return total
    }

    /// Formats a size exactly, in the largest unit that divides it (binary units preferred):
    /// `"256MiB"`, `"1MB"`, `"1500B"`. `parse` gives the same number back.
    package static func format(_ bytes: Int64) -> String {
        if bytes < 0 {
            return "-" + format(bytes == .min ? .max : -bytes)
        }
        guard bytes > 0 else { return "0B" }
        let display: [(name: String, bytes: Int64)] = [
            ("TiB", 1 << 40), ("TB", 1_000_000_000_000), ("GiB", 1 << 30), ("GB", 1_000_000_000),
            ("MiB", 1 << 20), ("MB", 1_000_000), ("KiB", 1 << 10), ("kB", 1_000),
        ]
        for unit in display where bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.name)"
        }
        return "\(bytes)B"
    }
}
