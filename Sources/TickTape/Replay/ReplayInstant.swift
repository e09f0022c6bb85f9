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
        return UTCInstant.nanos(text)
    }

    /// `2024-08-08T23:54:30.250123456Z`, for replies and errors.
    static func iso(_ nanos: Int64) -> String { UTCInstant.iso(nanos: nanos) }
}
