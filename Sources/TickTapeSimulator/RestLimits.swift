/// The simulator's REST request-weight rules: Binance's per-minute budgets by default, smaller and faster
/// for tests that must see a budget fill in a second rather than a minute.
package struct RestLimits: Sendable, Equatable {
    /// Weight allowed per window on `/fapi/v1/…` (Binance: 2400 per minute).
    package var usdmWeightLimit: Int
    /// Weight allowed per window on `/api/v3/…` (Binance: 6000 per minute).
    package var spotWeightLimit: Int
    /// Length of the fixed weight window, aligned to multiples of itself in Unix time as Binance aligns its
    /// minute (the header keeps its `-1M` name whatever the length).
    package var window: Duration
    /// How long a client that keeps sending after a 429 is banned with 418.
    package var banDuration: Duration

    package init(
        usdmWeightLimit: Int = SimulatedMarket.usdm.defaultWeightLimit,
        spotWeightLimit: Int = SimulatedMarket.spot.defaultWeightLimit,
        window: Duration = .seconds(60),
        banDuration: Duration = .seconds(120)
    ) {
        self.usdmWeightLimit = usdmWeightLimit
        self.spotWeightLimit = spotWeightLimit
        self.window = window
        self.banDuration = banDuration
    }

    func weightLimit(_ market: SimulatedMarket) -> Int {
        switch market {
        case .usdm: self.usdmWeightLimit
        case .spot: self.spotWeightLimit
        }
    }
}
