/// One side of an ``OrderBook``: price levels in two parallel contiguous arrays, sorted so that
/// the best level is the **last** element.
///
/// Why this structure: almost every diff touches levels near the top of the book, and with the
/// best level at the end of the array an insertion or removal there moves only the few
/// elements above it (an `Int64` memmove), while a lookup is a binary search over a cache-dense
/// array of keys (about 12 probes for 4,000 levels). A tree or skip list would pay a pointer
/// chase per probe and an allocation per new level; contiguous arrays reach a steady capacity
/// and then never allocate. Levels far from the top cost a longer memmove when they appear or
/// vanish, which is rare and bounded by the book's size.
///
/// Keys are the price mantissa at the book's price scale, negated on the ask side, so both
/// sides sort ascending toward the best price and share one implementation.
package struct BookSide: Sendable {
    /// Ascending; the best level is last. Bid: price; ask: −price.
    var keys: [Int64] = []
    /// Quantity mantissas at the book's quantity scale, parallel to `keys`.
    var quantities: [Int64] = []
    /// Whether this is the bid side (keys are prices) or the ask side (keys are −price).
    package let isBid: Bool

    package init(isBid: Bool, reservingLevels levels: Int) {
        self.isBid = isBid
        keys.reserveCapacity(levels)
        quantities.reserveCapacity(levels)
    }

    /// Number of levels.
    package var count: Int { keys.count }

    func key(_ price: Int64) -> Int64 { isBid ? price : -price }

    /// Sets the level at `price` to `quantity` (mantissas at the book's scales); zero removes
    /// it, and removing an absent level does nothing.
    package mutating func set(price: Int64, quantity: Int64) {
        let k = key(price)
        let n = keys.count
        // Fast path: a new best level, or the current best.
        if n == 0 || k > keys[n - 1] {
            if quantity != 0 {
                keys.append(k)
                quantities.append(quantity)
            }
            return
        }
        // Binary search for the first index whose key is >= k.
        var lo = 0
        var hi = n
        keys.withUnsafeBufferPointer { b in
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if b[mid] < k { lo = mid &+ 1 } else { hi = mid }
            }
        }
        if lo < n, keys[lo] == k {
            if quantity == 0 {
                keys.remove(at: lo)
                quantities.remove(at: lo)
            } else {
                quantities[lo] = quantity
            }
        } else if quantity != 0 {
            keys.insert(k, at: lo)
            quantities.insert(quantity, at: lo)
        }
    }

    /// The price mantissa and quantity mantissa `depth` levels from the top (0 = best).
    package func level(fromTop depth: Int) -> (price: Int64, quantity: Int64) {
        let i = keys.count - 1 - depth
        return (key(keys[i]), quantities[i])
    }

    /// Empties the side, keeping its capacity.
    package mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        quantities.removeAll(keepingCapacity: true)
    }

    /// Multiplies every price mantissa by `factor` (the book's price scale widened).
    mutating func scalePrices(by factor: Int64) {
        for i in keys.indices { keys[i] *= factor }
    }

    /// Multiplies every quantity mantissa by `factor` (the book's quantity scale widened).
    mutating func scaleQuantities(by factor: Int64) {
        for i in quantities.indices { quantities[i] *= factor }
    }
}
