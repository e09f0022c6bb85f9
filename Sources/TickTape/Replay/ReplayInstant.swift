/// A point in time a replay client names (`from`, `to`, `REPLAY.SEEK`): epoch milliseconds
/// (`1723161270000`), epoch nanoseconds (17 digits or more, the capture's own stamps), or UTC
/// ISO 8601 with up to nine fraction digits (`2024-08-08T23:54:30.250123Z`). Compared against
/// the lines' receive stamps.
///
/// Nanoseconds are accepted because a client that read a stamp from a capture (or from the
/// history API) must be able to seek to exactly that line; the API's other time parameters
/// take milliseconds and this keeps their reading for short numbers.
enum ReplayInstant {
    /// Nanoseconds since the epoch, nil if `text` is none of the forms.
    static func nanos(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        if !utf8.isEmpty, utf8.count <= 19, utf8.allSatisfy({ (48...57).contains($0) }), let n = Int64(text) {
            if utf8.count >= 17 { return n }
            let (ns, overflow) = n.multipliedReportingOverflow(by: 1_000_000)
            return overflow ? nil : ns
        }
        // Fraction beyond milliseconds: the API's parser reads whole seconds and milliseconds.
        var base = text
        var extra: Int64 = 0
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" }) {
            let digits = text[text.index(after: dot)..<zone]
            guard (1...9).contains(digits.count), digits.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
            var fraction = Int64(digits)!
            for _ in digits.count..<9 { fraction *= 10 }
            extra = fraction
            base = String(text[..<dot]) + String(text[zone...])
        }
        guard let ms = ServeAPIParameters.isoMilliseconds(base) else { return nil }
        return ms * 1_000_000 + extra
    }

    /// `2024-08-08T23:54:30.250123456Z`, for replies and errors.
    static func iso(_ nanos: Int64) -> String {
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let fraction = nanos - seconds * 1_000_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))."
            + pad(fraction, 9) + "Z"
    }
}
