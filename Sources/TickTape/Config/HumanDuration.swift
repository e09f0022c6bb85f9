/// Durations written for people: `"250ms"`, `"10s"`, `"5m"`, `"1h30m"`, `"500us"`, `"2d"`.
///
/// The configuration file never takes a bare number for a duration, because "is 5 seconds
/// or milliseconds?" is the kind of mistake that silently changes behaviour by 1000×.
package enum HumanDuration {
    private static let units: [(name: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ]

    private static let accepted =
        "expected a duration like \"250ms\", \"10s\", \"5m\" or \"1h30m\" (units d, h, m, s, ms, us, ns, largest first)"

    /// Parses one or more `<number><unit>` parts, largest unit first, each unit at most once.
    /// A part may have a decimal fraction (`"1.5s"`) if the result is a whole number of
    /// nanoseconds. `"0"` alone is zero; negative durations are not accepted.
    package static func parse(_ text: String) throws(ConfigValueError) -> Duration {
        let scalars = Array(text.unicodeScalars)
        if text == "0" {
            return .zero
        }
        guard !scalars.isEmpty else {
            throw ConfigValueError("empty duration; \(accepted)")
        }
        if scalars.contains(where: \.properties.isWhitespace) {
            throw ConfigValueError("duration \"\(text)\" contains a space; write it without, like \"1h30m\"")
        }
        var index = 0
        var total: Int64 = 0
        var lastUnitRank = -1
        while index < scalars.count {
            let numberStart = index
            var integerPart: Int64 = 0
            var fractionDigits: [Int64] = []
            var sawDot = false
            var digitCount = 0
            while index < scalars.count {
                let scalar = scalars[index]
                if let digit = asciiDigit(scalar) {
                    digitCount += 1
                    if sawDot {
                        fractionDigits.append(digit)
                    } else {
                        let (times, overflow1) = integerPart.multipliedReportingOverflow(by: 10)
                        let (sum, overflow2) = times.addingReportingOverflow(digit)
                        guard !overflow1, !overflow2 else { throw ConfigValueError("duration \"\(text)\" is too large") }
                        integerPart = sum
                    }
                } else if scalar == "." && !sawDot {
                    sawDot = true
                } else {
                    break
                }
                index += 1
            }
            let integerDigits = digitCount - fractionDigits.count
            guard integerDigits > 0, !sawDot || !fractionDigits.isEmpty, index > numberStart else {
                throw ConfigValueError("invalid duration \"\(text)\"; \(accepted)")
            }
            var unitName = ""
            while index < scalars.count, scalars[index].properties.isAlphabetic {
                unitName.unicodeScalars.append(scalars[index])
                index += 1
            }
            if unitName == "µs" || unitName == "μs" {
                unitName = "us"
            }
            guard !unitName.isEmpty else {
                throw ConfigValueError("duration \"\(text)\" is missing a unit; \(accepted)")
            }
            guard let rank = units.firstIndex(where: { $0.name == unitName }) else {
                throw ConfigValueError("unknown unit \"\(unitName)\" in duration \"\(text)\"; \(accepted)")
            }
            guard rank > lastUnitRank else {
                throw ConfigValueError("invalid duration \"\(text)\": each unit at most once, largest first (like \"1h30m\")")
            }
            lastUnitRank = rank
            let unit = units[rank].nanoseconds
            let (whole, overflow1) = integerPart.multipliedReportingOverflow(by: unit)
            guard !overflow1 else { throw ConfigValueError("duration \"\(text)\" is too large") }
            var fraction: Int64 = 0
            var scale = unit
            for digit in fractionDigits {
                guard scale % 10 == 0 else {
                    throw ConfigValueError("duration \"\(text)\" is finer than a nanosecond")
                }
                scale /= 10
                fraction += digit * scale
            }
            let (part, overflow2) = whole.addingReportingOverflow(fraction)
            let (sum, overflow3) = total.addingReportingOverflow(part)
            guard !overflow2, !overflow3 else { throw ConfigValueError("duration \"\(text)\" is too large") }
            total = sum
        }
        return .nanoseconds(total)
    }

    /// Formats a duration so that `parse` gives it back: `"1h30m"`, `"250ms"`, `"1s500ms"`,
    /// `"0s"`. Sub-nanosecond parts are dropped; negative durations get a leading `-`.
    package static func format(_ duration: Duration) -> String {
        if duration < .zero {
            return "-" + format(.zero - duration)
        }
        let (seconds, attoseconds) = duration.components
        var parts = ""
        var remainingSeconds = seconds
        for (name, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] {
            let count = remainingSeconds / size
            remainingSeconds %= size
            if count > 0 {
                parts += "\(count)\(name)"
            }
        }
        var remainingNanoseconds = attoseconds / 1_000_000_000
        for (name, size) in [("ms", Int64(1_000_000)), ("us", 1_000), ("ns", 1)] {
            let count = remainingNanoseconds / size
            remainingNanoseconds %= size
            if count > 0 {
                parts += "\(count)\(name)"
            }
        }
        return parts.isEmpty ? "0s" : parts
    }

    /// A duration for people reading logs: two significant units at most (`"1.3s"`, `"26ms"`,
    /// `"740us"`), not meant to be parsed back.
    package static func formatForLog(_ duration: Duration) -> String {
        let ns = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        let magnitude = abs(ns)
        if magnitude >= 60e9 { return format(.seconds(Int64((ns / 1e9).rounded()))) }
        if magnitude >= 1e9 { return "\((ns / 1e8).rounded() / 10)s" }
        if magnitude >= 1e6 { return "\(Int((ns / 1e6).rounded()))ms" }
        if magnitude >= 1e3 { return "\(Int((ns / 1e3).rounded()))us" }
        return "\(Int(ns))ns"
    }

    private static func asciiDigit(_ scalar: Unicode.Scalar) -> Int64? {
        guard scalar.value >= 0x30 && scalar.value <= 0x39 else { return nil }
        return Int64(scalar.value - 0x30)
    }
}
