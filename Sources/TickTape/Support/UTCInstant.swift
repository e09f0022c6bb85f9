/// UTC ISO 8601 instants as ticktape reads and writes them everywhere (the CLI's `--from`, the
/// API's `from`/`to`, replay's `from`/`to`/`REPLAY.SEEK`, the PostgreSQL sink's partitions):
/// one parser and one formatter, so every surface accepts exactly the same text.
///
/// The accepted form is `yyyy-mm-ddThh:mm:ss[.f…]Z`: a `T` or a space between date and time,
/// one to nine fraction digits, `Z` or `+00:00`. Nothing else (no other offsets, no leap
/// second `60`, which Unix time cannot hold). Hand-written rather than Foundation's
/// `ISO8601DateFormatter` because the core library does not link Foundation and because
/// `Date` keeps only about a microsecond of a present-day timestamp, while capture stamps are
/// nanoseconds. The calendar arithmetic is Howard Hinnant's days-from-civil and its inverse
/// (proleptic Gregorian).
package enum UTCInstant {
    private static let nanosPerSecond: Int64 = 1_000_000_000

    /// Nanoseconds since the epoch, nil if `text` is not the form above or lies outside what
    /// 64-bit nanoseconds hold (years 1678 to 2262).
    package static func nanos(_ text: String) -> Int64? {
        guard let (seconds, fraction) = parse(text) else { return nil }
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: nanosPerSecond)
        guard !overflow else { return nil }
        let (sum, carry) = ns.addingReportingOverflow(fraction)
        return carry ? nil : sum
    }

    /// Milliseconds since the epoch (finer digits cut), for any four-digit year.
    package static func milliseconds(_ text: String) -> Int64? {
        guard let (seconds, fraction) = parse(text) else { return nil }
        return seconds * 1_000 + fraction / 1_000_000
    }

    /// Whole seconds since the epoch and the nanoseconds past them.
    private static func parse(_ text: String) -> (seconds: Int64, fraction: Int64)? {
        var s = Array(text.utf8)
        guard s.count <= 40 else { return nil }
        if s.count > 6, s.suffix(6).elementsEqual("+00:00".utf8) {
            s.removeLast(6)
            s.append(UInt8(ascii: "Z"))
        }
        guard s.count >= 20, s.last == UInt8(ascii: "Z"), s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
            s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " "), s[13] == UInt8(ascii: ":"),
            s[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<(from + count) {
                let d = s[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
            }
            return v
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month),
            (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var fraction: Int64 = 0
        if s.count > 20 {
            let digits = s.count - 21
            guard s[19] == UInt8(ascii: "."), (1...9).contains(digits), let f = number(20, digits) else { return nil }
            fraction = f
            for _ in digits..<9 { fraction *= 10 }
        }
        let days = Self.days(year: year, month: month, day: day)
        return (days * 86_400 + hour * 3_600 + minute * 60 + second, fraction)
    }

    /// `2024-08-08T23:54:30.250123456Z`.
    package static func iso(nanos: Int64) -> String {
        let seconds = floorDivide(nanos, nanosPerSecond)
        let fraction = nanos - seconds * nanosPerSecond
        let days = floorDivide(seconds, 86_400)
        let rest = seconds - days * 86_400
        return date(days: days) + "T" + pad(rest / 3600, 2) + ":" + pad(rest / 60 % 60, 2) + ":" + pad(rest % 60, 2) + "."
            + pad(fraction, 9) + "Z"
    }

    /// `YYYY-MM-DD` of a day number (days since 1970-01-01).
    package static func date(days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day number.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Division rounding towards negative infinity (instants before 1970 format correctly).
    package static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
