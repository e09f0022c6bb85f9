/// Which Binance market a book follows; the two differ in their bridge and continuity rules
/// (USD-M chains by `pu == previous u`, spot by `U == previous u + 1`).
package enum BookMarket: String, Sendable, Hashable, CaseIterable {
    case usdm
    case spot
}
