/// Which Binance market a synthetic order book imitates: it decides the depth payload's shape, the update-id
/// rules, the price and quantity formats, and which REST path serves the snapshot.
package enum SimulatedMarket: String, Sendable, Equatable, CaseIterable {
    /// USD-M futures: `pu` chains the events, ids may skip between events (`U > pu + 1` is normal), the
    /// payload carries `T`; snapshots at `/fapi/v1/depth`; prices like `"61800.10"`, quantities like `"1.234"`.
    case usdm
    /// Spot: no `pu` and no `T`, `U == previous u + 1`; snapshots at `/api/v3/depth`; prices and
    /// quantities with eight decimals like `"61800.01000000"`.
    case spot

    /// The REST path of the depth snapshot.
    package var depthPath: String {
        switch self {
        case .usdm: "/fapi/v1/depth"
        case .spot: "/api/v3/depth"
        }
    }

    /// Binance's request-weight budget per minute for this market.
    package var defaultWeightLimit: Int {
        switch self {
        case .usdm: 2400
        case .spot: 6000
        }
    }

    /// Levels a snapshot has when the request names no `limit`.
    var defaultSnapshotLimit: Int {
        switch self {
        case .usdm: 500
        case .spot: 100
        }
    }

    /// The request weight of a depth snapshot with `limit` levels, `nil` for a limit Binance refuses.
    ///
    /// USD-M accepts only 5, 10, 20, 50 (weight 2), 100 (5), 500 (10) and 1000 (20); spot any limit from 1 to
    /// 5000, weighted 5 up to 100, 25 up to 500, 50 up to 1000 and 250 beyond.
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

    /// The message Binance answers an out-of-range `limit` with (error -1100's `msg`).
    var limitRangeText: String {
        switch self {
        case .usdm: "5, 10, 20, 50, 100, 500, 1000"
        case .spot: "1 to 5000"
        }
    }

    /// Price: integer ticks times this is the price in units of 10^-``priceFractionDigits``.
    var priceScale: UInt64 {
        switch self {
        case .usdm: 10  // tick 0.10, written with 2 decimals
        case .spot: 1_000_000  // tick 0.01, written with 8 decimals
        }
    }

    var priceFractionDigits: Int {
        switch self {
        case .usdm: 2
        case .spot: 8
        }
    }

    /// Quantity: integer lots times this is the quantity in units of 10^-``quantityFractionDigits``.
    var quantityScale: UInt64 {
        switch self {
        case .usdm: 1  // lot 0.001, written with 3 decimals
        case .spot: 1_000  // lot 0.00001, written with 8 decimals
        }
    }

    var quantityFractionDigits: Int {
        switch self {
        case .usdm: 3
        case .spot: 8
        }
    }
}
