/// A Binance market whose REST depth snapshots ticktape fetches: the path, the default host, the weight
/// budget and the weight of a snapshot by `limit`.
package enum RestMarket: String, Sendable, Equatable, Hashable, CaseIterable {
    /// USD-M futures, `https://fapi.binance.com/fapi/v1/depth`.
    case usdm
    /// Spot, `https://api.binance.com/api/v3/depth`.
    case spot

    /// The depth snapshot's path.
    package var depthPath: String {
        switch self {
        case .usdm: "/fapi/v1/depth"
        case .spot: "/api/v3/depth"
        }
    }

    /// Where snapshots are fetched unless the configuration says otherwise (`rest_url`).
    package var defaultBaseURL: String {
        switch self {
        case .usdm: "https://fapi.binance.com"
        case .spot: "https://api.binance.com"
        }
    }

    /// Binance's `REQUEST_WEIGHT` budget per minute and IP.
    package var defaultWeightLimit: Int {
        switch self {
        case .usdm: 2400
        case .spot: 6000
        }
    }

    /// The snapshot size ticktape asks for by default: the largest USD-M allows (1000 levels, weight 20),
    /// and the same on spot (weight 50) rather than 5000, which costs 250.
    package var defaultSnapshotLimit: Int { 1000 }

    /// The request weight of a depth snapshot with `limit` levels, `nil` for a limit Binance refuses.
    ///
    /// USD-M: 5, 10, 20, 50 → 2; 100 → 5; 500 → 10; 1000 → 20 (no other value is accepted).
    /// Spot: 1–100 → 5; 101–500 → 25; 501–1000 → 50; 1001–5000 → 250.
    package func snapshotWeight(limit: Int) -> Int? {
        switch self {
        case .usdm:
            switch limit {
            case 5, 10, 20, 50: 2
            case 100: 5
            case 500: 10
            case 1000: 20
            default: nil
            }
        case .spot:
            switch limit {
            case 1...100: 5
            case 101...500: 25
            case 501...1000: 50
            case 1001...5000: 250
            default: nil
            }
        }
    }

    /// The limits this market accepts, for error messages.
    package var acceptedLimits: String {
        switch self {
        case .usdm: "5, 10, 20, 50, 100, 500 or 1000"
        case .spot: "an integer from 1 to 5000"
        }
    }
}
