/// The tables a PostgreSQL sink fills, each fed by one kind of line of the capture.
///
/// The raw value is the key in a sink's `tables = { … }` and the default table name.
package enum SinkTableKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `@bookTicker` lines, one row each.
    case bookTicker = "book_ticker"
    /// `@trade` lines.
    case trades
    /// `@aggTrade` lines.
    case aggTrades = "agg_trades"
    /// Top of book sampled from `@bookTicker` every `snapshot_interval`: BBO, mid and spread.
    case snapshots
    /// OHLC bars the sink builds from the trades it reads (the same ``BarAggregator`` as
    /// `bars.csv`), one row per closed bar.
    case bars
    /// Diff-depth lines (`@depth…`), one row per diff with its bids and asks as JSON; off by
    /// default (a busy book is most of the volume).
    case depth

    /// On unless the configuration turns it off.
    package var enabledByDefault: Bool { self != .depth }

    package static func < (a: SinkTableKind, b: SinkTableKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Whether `name` is usable as a PostgreSQL table name without quoting surprises:
    /// `^[a-z_][a-z0-9_]{0,62}$`.
    package static func isValidTableName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63 else { return false }
        func lower(_ b: UInt8) -> Bool { (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || b == UInt8(ascii: "_") }
        return lower(first) && bytes.allSatisfy { lower($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }
}
