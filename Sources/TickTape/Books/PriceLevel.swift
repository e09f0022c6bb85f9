/// One price level: a price and the total quantity resting there, both exactly as Binance
/// writes them. In a diff, quantity zero means the level is gone.
package struct PriceLevel: Hashable, Sendable {
    package var price: FixedDecimal
    package var quantity: FixedDecimal

    package init(price: FixedDecimal, quantity: FixedDecimal) {
        self.price = price
        self.quantity = quantity
    }
}
