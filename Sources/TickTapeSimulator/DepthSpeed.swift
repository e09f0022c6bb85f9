/// One diff-depth update speed: the stream-name suffix and how often an aggregated event is sent.
package enum DepthSpeed: String, Sendable, Equatable, CaseIterable {
    /// `<symbol>@depth`: every 250 ms on USD-M, every 1000 ms on spot.
    case standard
    /// `<symbol>@depth@100ms`.
    case ms100
    /// `<symbol>@depth@500ms` (USD-M only).
    case ms500
    /// `<symbol>@depth@0ms`: one event per book update, the undocumented real-time speed (USD-M only).
    case realtime

    /// The speeds a market serves, in the order their streams are listed.
    package static func all(for market: SimulatedMarket) -> [DepthSpeed] {
        switch market {
        case .usdm: [.standard, .ms500, .ms100, .realtime]
        case .spot: [.standard, .ms100]
        }
    }

    /// `@depth`, `@depth@100ms`, …
    var suffix: String {
        switch self {
        case .standard: "@depth"
        case .ms100: "@depth@100ms"
        case .ms500: "@depth@500ms"
        case .realtime: "@depth@0ms"
        }
    }

    /// Nanoseconds between aggregated events; 0 for one event per update.
    func intervalNanos(market: SimulatedMarket) -> Int64 {
        switch self {
        case .standard: market == .usdm ? 250_000_000 : 1_000_000_000
        case .ms100: 100_000_000
        case .ms500: 500_000_000
        case .realtime: 0
        }
    }
}
