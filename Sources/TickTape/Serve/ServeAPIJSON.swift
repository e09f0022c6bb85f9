/// How the API writes the figures it reports as ``JSONValue``s.
///
/// Prices and quantities are strings with the digits Binance wrote (``FixedDecimal``), never
/// a `Double`: a client reading `"0.10"` gets exactly what the exchange sent. Rates and shares
/// are plain numbers (they are measurements, not amounts).
enum ServeAPIJSON {
    static func decimal(_ d: FixedDecimal) -> JSONValue { .string(d.description) }

    static func int(_ n: Int) -> JSONValue { .int(Int64(n)) }

    static func optionalInt(_ n: Int64?) -> JSONValue { n.map(JSONValue.int) ?? .null }

    /// A rate or share rounded to 6 significant decimals, null when not finite.
    static func number(_ x: Double) -> JSONValue {
        guard x.isFinite else { return .null }
        return .double((x * 1e6).rounded() / 1e6)
    }

    static func optionalNumber(_ x: Double?) -> JSONValue { x.map(number) ?? .null }

    /// p50, p90, p99, p99.9, max, min and the count (quantiles null when nothing was recorded).
    static func histogram(_ h: HistogramSummary) -> JSONValue {
        .object([
            ("count", int(h.count)), ("p50", optionalInt(h.p50)), ("p90", optionalInt(h.p90)), ("p99", optionalInt(h.p99)),
            ("p999", optionalInt(h.p999)), ("max", optionalInt(h.max)), ("min", optionalInt(h.min)),
        ])
    }

    /// The last window and everything since start.
    static func figure(_ f: FigureSummary) -> JSONValue {
        .object([("window", histogram(f.window)), ("cumulative", histogram(f.cumulative))])
    }

    static func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
}
