/// `[books]`: settings shared by every capture's books, above all the REST weight budget, which Binance
/// counts per IP and so per process, not per capture.
package struct BooksConfig: Sendable, Equatable {
    /// `usdm_weight_limit`: request weight per minute the USD-M snapshots may use (Binance: 2400). Lower it
    /// when other programs on the same IP use the REST API too.
    package var usdmWeightLimit: Int
    /// `spot_weight_limit`: the same for spot (Binance: 6000).
    package var spotWeightLimit: Int

    package init(usdmWeightLimit: Int = 2400, spotWeightLimit: Int = 6000) {
        self.usdmWeightLimit = usdmWeightLimit
        self.spotWeightLimit = spotWeightLimit
    }

    static let keys = ["usdm_weight_limit", "spot_weight_limit"]
    static let weightLimitRange = 20...1_000_000

    /// The budget of `market`.
    package func weightLimit(_ market: RestMarket) -> Int {
        switch market {
        case .usdm: usdmWeightLimit
        case .spot: spotWeightLimit
        }
    }

    init(reading reader: ConfigTableReader) throws(ConfigError) {
        try reader.checkKeys(Self.keys)
        self.init()
        if let limit = try reader.integer("usdm_weight_limit", in: Self.weightLimitRange) { usdmWeightLimit = limit }
        if let limit = try reader.integer("spot_weight_limit", in: Self.weightLimitRange) { spotWeightLimit = limit }
    }
}
