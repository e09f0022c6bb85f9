/// A bar length (`1s`, `5s`, `1m`, `15m`, `1h`, `1d`, …), aligned to the Unix epoch like
/// Binance's klines: a bar covers `[k·length, (k+1)·length)` of trade time.
package struct BarInterval: Sendable, Hashable, CustomStringConvertible {
    /// Length in milliseconds (the unit of `T`).
    package let milliseconds: Int64
    /// As written (`1m`).
    package let description: String

    /// Parses `<n>s|m|h|d`.
    package init?(_ text: String) {
        guard let unit = text.last, let n = Int64(text.dropLast()), n > 0 else { return nil }
        let ms: Int64
        switch unit {
        case "s": ms = 1_000
        case "m": ms = 60_000
        case "h": ms = 3_600_000
        case "d": ms = 86_400_000
        default: return nil
        }
        milliseconds = n * ms
        description = text
    }

    /// The start of the bar holding `time` (ms).
    package func start(of time: Int64) -> Int64 {
        let r = time % milliseconds
        return time - (r < 0 ? r + milliseconds : r)
    }
}
