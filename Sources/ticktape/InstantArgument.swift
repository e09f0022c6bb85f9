import ArgumentParser
import TickTape

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
    static func parseISO(_ text: String) -> Int64? { UTCInstant.nanos(text) }
}
