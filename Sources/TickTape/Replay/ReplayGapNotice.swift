import BinanceWire

/// A ledger gap announced to a replay client that asked (`gaps=true`): a ticktape message of
/// its own, never a Binance frame, sent at the gap's place in receive time (before the first
/// line received after it):
///
/// ```
/// {"replay":"gap","stream":"btcusdt@trade","cause":"sequence","first_missing":41,"last_missing":43,"at_ns":…}
/// ```
///
/// `at_ns` is when the gap happened as far as the capture knows: the first dropped line's
/// stamp for a `storage` gap, the moment the merger gave the ids up for a `sequence` gap.
struct ReplayGapNotice: Sendable, Equatable {
    var at: Int64
    var streams: [String]
    var text: String

    init(_ gap: GapRecord) {
        at = gap.firstDroppedAt ?? gap.detectedAt
        streams = gap.stream == "*" ? gap.streams.map(\.stream) : [gap.stream]
        var fields = #"{"replay":"gap","stream":"# + JSONString.quoted(gap.stream) + #","cause":"# + JSONString.quoted(gap.cause)
        fields += #","first_missing":"# + String(gap.firstMissing) + #","last_missing":"# + String(gap.lastMissing)
        if let lines = gap.droppedLines { fields += #","dropped_lines":"# + String(lines) }
        text = fields + #","at_ns":"# + String(at) + "}"
    }

    /// Whether a client subscribed to `names` is concerned.
    func concerns(_ names: Set<String>) -> Bool { streams.contains { names.contains($0) } }

    /// The catalog's gaps at or after `from` and at or before `to`, in time order.
    static func pending(_ catalog: ReplayCatalog, from: Int64, to: Int64) -> [ReplayGapNotice] {
        catalog.captures.flatMap(\.gaps).map(ReplayGapNotice.init).filter { $0.at >= from && $0.at <= to }.sorted { $0.at < $1.at }
    }
}
