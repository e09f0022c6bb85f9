/// Reading and checking the API's query parameters. Every failure is a ``ServeAPIError``
/// whose message names the parameter and says what is expected.
enum ServeAPIParameters {
    /// `symbol`, required: 1 to 32 letters and digits, either case; returned upper case.
    static func symbol(_ request: ServeRequest) throws(ServeAPIError) -> String {
        guard let text = request.query["symbol"], !text.isEmpty else {
            throw ServeAPIError(400, "parameter 'symbol' is required (e.g. symbol=BTCUSDT)")
        }
        guard text.utf8.count <= 32, text.utf8.allSatisfy({ isLetterOrDigit($0) }) else {
            throw ServeAPIError(
                400, "parameter 'symbol' must be 1 to 32 letters and digits like BTCUSDT, got '\(printable(text))'")
        }
        return text.uppercased()
    }

    /// An integer parameter in `range`, or `fallback` when absent.
    static func integer(
        _ request: ServeRequest, _ name: String, in range: ClosedRange<Int>, default fallback: Int
    ) throws(ServeAPIError) -> Int {
        guard let text = request.query[name] else { return fallback }
        guard text.utf8.count <= 19, text.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(text), range.contains(n) else {
            throw ServeAPIError(
                400, "parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(printable(text))'")
        }
        return n
    }

    /// `market`: `usdm` or `spot`, nil when absent.
    static func market(_ request: ServeRequest) throws(ServeAPIError) -> BookMarket? {
        guard let text = request.query["market"] else { return nil }
        guard let market = BookMarket(rawValue: text) else {
            throw ServeAPIError(400, "parameter 'market' must be 'usdm' or 'spot', got '\(printable(text))'")
        }
        return market
    }

    /// A time parameter (`from`, `to`): epoch milliseconds or UTC ISO 8601
    /// (`2024-08-08T23:54:30Z`, `…30.250Z`, `+00:00` for `Z`); nil when absent. Returns ms.
    static func time(_ request: ServeRequest, _ name: String) throws(ServeAPIError) -> Int64? {
        guard let text = request.query[name] else { return nil }
        if text.utf8.count <= 16, !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let ms = Int64(text) {
            return ms
        }
        guard let ms = isoMilliseconds(text) else {
            throw ServeAPIError(
                400,
                "parameter '\(name)' must be epoch milliseconds (1723161270000) or UTC ISO 8601 (2024-08-08T23:54:30Z), "
                    + "got '\(printable(text))'")
        }
        return ms
    }

    /// `yyyy-mm-ddThh:mm:ss[.fff…]Z` (or `+00:00`) as milliseconds since the epoch.
    static func isoMilliseconds(_ text: String) -> Int64? {
        var s = Array(text.utf8)
        guard s.count <= 40 else { return nil }
        if s.count > 6, Array(s.suffix(6)) == Array("+00:00".utf8) {
            s.removeLast(6)
            s.append(UInt8(ascii: "Z"))
        }
        guard s.count >= 20, s.last == UInt8(ascii: "Z"), s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
            s[10] == UInt8(ascii: "T"), s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":")
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
            hour < 24, minute < 60, second < 60
        else { return nil }
        var millis: Int64 = 0
        if s.count > 20 {
            let digits = s.count - 21
            guard s[19] == UInt8(ascii: "."), (1...9).contains(digits), let f = number(20, digits) else { return nil }
            millis = f
            if digits < 3 { for _ in digits..<3 { millis *= 10 } } else { for _ in 3..<digits { millis /= 10 } }
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return (days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000 + millis
    }

    /// `text` safe to quote in a message: at most 64 characters, control characters escaped
    /// by the JSON writer, the rest kept.
    static func printable(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "…"
    }

    private static func isLetterOrDigit(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b)
    }
}
