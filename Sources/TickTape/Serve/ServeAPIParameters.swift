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

    /// A ``UTCInstant`` as milliseconds since the epoch (finer digits are cut).
    static func isoMilliseconds(_ text: String) -> Int64? { UTCInstant.milliseconds(text) }

    /// `text` safe to quote in a message: at most 64 characters, control characters escaped
    /// by the JSON writer, the rest kept.
    static func printable(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "…"
    }

    private static func isLetterOrDigit(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b)
    }
}
