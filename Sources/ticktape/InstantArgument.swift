import ArgumentParser

/// A point in time given on the command line: receive-time nanoseconds (`1723161270000000000`)
/// or UTC ISO 8601 (`2024-08-08T23:54:30Z`, `2024-08-08T23:54:30.250Z`), both compared
/// against the lines' receive stamps.
struct InstantArgument: ExpressibleByArgument, Sendable {
    /// Nanoseconds since the Unix epoch, UTC.
    let nanos: Int64

    init(nanos: Int64) { self.nanos = nanos }

    init?(argument: String) {
        if let ns = Int64(argument) {
            nanos = ns
            return
        }
        guard let ns = Self.parseISO(argument) else { return nil }
        nanos = ns
    }

    /// `yyyy-mm-ddThh:mm:ss[.f…]Z` (also with a space for `T`, or `+00:00` for `Z`).
    static func parseISO(_ text: String) -> Int64? {
        var s = Array(text.utf8)
        if s.count > 6, String(decoding: s.suffix(6), as: UTF8.self) == "+00:00" {
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
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction: Int64 = 0
        if s.count > 20 {
            guard s[19] == UInt8(ascii: "."), s.count - 21 >= 1, s.count - 21 <= 9, let f = number(20, s.count - 21) else {
                return nil
            }
            fraction = f
            for _ in 0..<(9 - (s.count - 21)) { fraction *= 10 }
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000_000_000) + fraction
    }
}
