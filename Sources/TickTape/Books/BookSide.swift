/// One side of an ``OrderBook``: price levels in sorted chunks of at most ``chunkCapacity``
/// levels, kept in one flat allocation and ordered by a small index, ascending toward the best
/// level (the last level of the last chunk).
///
/// Why this structure: a single sorted array is the fastest lookup there is, but Binance's
/// diffs touch deep levels too (on the USD-M depth@0ms recording two thirds of the level
/// updates land more than 100 levels from the top, a fifth beyond 1,000), and inserting or
/// removing a deep level shifts the whole array: that made the slowest diffs tens of µs.
/// Chunks bound every shift to one chunk (≤ 64 levels) plus, on a split or an emptied chunk,
/// the chunk index (a few dozen entries), while lookups stay two binary searches over dense
/// `Int64`s: first the chunks' first keys, then one chunk. A tree or skip list would chase a
/// pointer per probe and allocate per level. Chunks come from a free list and the flat arrays
/// only grow, so once a book has reached its steady size nothing allocates.
///
/// Keys are the price mantissa at the book's price scale, negated on the ask side, so both
/// sides sort ascending toward the best price and share one implementation.
package struct BookSide: Sendable {
    /// Levels per chunk.
    package static let chunkCapacity = 64
    private static let half = chunkCapacity / 2

    /// Chunk `c` holds its keys at `c·chunkCapacity ..< c·chunkCapacity + counts[c]`, ascending.
    /// Bid: price; ask: −price.
    private var keys: [Int64] = []
    /// Quantity mantissas at the book's quantity scale, parallel to `keys`.
    private var quantities: [Int64] = []
    /// Levels held by each chunk.
    private var counts: [Int] = []
    /// Chunks in use, in ascending key order.
    private var order: [Int] = []
    /// The first key of each chunk in `order` (parallel to it): the index searched first.
    private var firstKeys: [Int64] = []
    /// Chunks not in use.
    private var free: [Int] = []
    /// Levels on this side.
    package private(set) var count = 0
    /// Whether this is the bid side (keys are prices) or the ask side (keys are −price).
    package let isBid: Bool

    package init(isBid: Bool, reservingLevels levels: Int) {
        self.isBid = isBid
        let chunks = max(1, 2 * levels / Self.chunkCapacity)
        keys.reserveCapacity(chunks * Self.chunkCapacity)
        quantities.reserveCapacity(chunks * Self.chunkCapacity)
        counts.reserveCapacity(chunks)
        order.reserveCapacity(chunks)
        firstKeys.reserveCapacity(chunks)
        free.reserveCapacity(chunks)
    }

    private func key(_ price: Int64) -> Int64 { isBid ? price : -price }

    /// Sets the level at `price` to `quantity` (mantissas at the book's scales); zero removes
    /// it, and removing an absent level does nothing.
    package mutating func set(price: Int64, quantity: Int64) {
        let k = key(price)
        if order.isEmpty {
            guard quantity != 0 else { return }
            let c = newChunk()
            order.append(c)
            firstKeys.append(k)
            insert(k, quantity, chunk: c, at: 0, ordered: 0)
            return
        }
        // The last chunk whose first key is <= k (or the first chunk).
        var lo = 0
        var hi = firstKeys.count
        firstKeys.withUnsafeBufferPointer { f in
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if f[mid] <= k { lo = mid &+ 1 } else { hi = mid }
            }
        }
        let o = max(lo - 1, 0)
        let c = order[o]
        let base = c * Self.chunkCapacity
        let n = counts[c]
        // The first index in the chunk whose key is >= k.
        var i = 0
        keys.withUnsafeBufferPointer { kb in
            var h = n
            while i < h {
                let mid = (i &+ h) >> 1
                if kb[base &+ mid] < k { i = mid &+ 1 } else { h = mid }
            }
        }
        if i < n, keys[base + i] == k {
            if quantity != 0 {
                quantities[base + i] = quantity
            } else {
                remove(chunk: c, at: i, ordered: o)
            }
        } else if quantity != 0 {
            insert(k, quantity, chunk: c, at: i, ordered: o)
        }
    }

    private mutating func insert(_ k: Int64, _ q: Int64, chunk: Int, at index: Int, ordered: Int) {
        var c = chunk
        var i = index
        var o = ordered
        if counts[c] == Self.chunkCapacity {
            // Split: the upper half moves to a new chunk just after this one in the order.
            let d = newChunk()
            let from = c * Self.chunkCapacity + Self.half
            let to = d * Self.chunkCapacity
            for j in 0..<Self.half {
                keys[to + j] = keys[from + j]
                quantities[to + j] = quantities[from + j]
            }
            counts[c] = Self.half
            counts[d] = Self.half
            order.insert(d, at: o + 1)
            firstKeys.insert(keys[to], at: o + 1)
            if i > Self.half {
                c = d
                i -= Self.half
                o += 1
            }
        }
        let base = c * Self.chunkCapacity
        let n = counts[c]
        keys.withUnsafeMutableBufferPointer { kb in
            quantities.withUnsafeMutableBufferPointer { qb in
                let kp = kb.baseAddress! + base
                let qp = qb.baseAddress! + base
                if i < n {
                    (kp + i + 1).update(from: kp + i, count: n - i)
                    (qp + i + 1).update(from: qp + i, count: n - i)
                }
                kp[i] = k
                qp[i] = q
            }
        }
        counts[c] = n + 1
        if i == 0 { firstKeys[o] = k }
        count += 1
    }

    private mutating func remove(chunk c: Int, at i: Int, ordered o: Int) {
        let base = c * Self.chunkCapacity
        let n = counts[c]
        if i < n - 1 {
            keys.withUnsafeMutableBufferPointer { kb in
                quantities.withUnsafeMutableBufferPointer { qb in
                    let kp = kb.baseAddress! + base
                    let qp = qb.baseAddress! + base
                    (kp + i).update(from: kp + i + 1, count: n - i - 1)
                    (qp + i).update(from: qp + i + 1, count: n - i - 1)
                }
            }
        }
        counts[c] = n - 1
        count -= 1
        if n == 1 {
            order.remove(at: o)
            firstKeys.remove(at: o)
            free.append(c)
        } else if i == 0 {
            firstKeys[o] = keys[base]
        }
    }

    /// A chunk from the free list, or a new one (the only place the side allocates, while it
    /// grows to a size it has not had before).
    private mutating func newChunk() -> Int {
        if let c = free.popLast() {
            counts[c] = 0
            return c
        }
        let c = counts.count
        keys.append(contentsOf: repeatElement(0, count: Self.chunkCapacity))
        quantities.append(contentsOf: repeatElement(0, count: Self.chunkCapacity))
        counts.append(0)
        return c
    }

    /// The price mantissa and quantity mantissa `depth` levels from the top (0 = best;
    /// `depth < count`). Walks chunks from the top: cheap near it.
    package func level(fromTop depth: Int) -> (price: Int64, quantity: Int64) {
        var rest = depth
        var o = order.count - 1
        while rest >= counts[order[o]] {
            rest -= counts[order[o]]
            o -= 1
        }
        let c = order[o]
        let i = c * Self.chunkCapacity + counts[c] - 1 - rest
        return (key(keys[i]), quantities[i])
    }

    /// Calls `body` with up to `limit` levels (price and quantity mantissas), best first.
    package func forEachFromTop(limit: Int, _ body: (Int64, Int64) -> Void) {
        var left = limit
        for o in order.indices.reversed() {
            let c = order[o]
            let base = c * Self.chunkCapacity
            for i in stride(from: counts[c] - 1, through: 0, by: -1) {
                guard left > 0 else { return }
                body(key(keys[base + i]), quantities[base + i])
                left -= 1
            }
        }
    }

    /// Empties the side, keeping its capacity.
    package mutating func removeAll() {
        free.append(contentsOf: order)
        order.removeAll(keepingCapacity: true)
        firstKeys.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Multiplies every price mantissa by `factor` (the book's price scale widened).
    mutating func scalePrices(by factor: Int64) {
        for (o, c) in order.enumerated() {
            let base = c * Self.chunkCapacity
            for i in base..<(base + counts[c]) { keys[i] *= factor }
            firstKeys[o] *= factor
        }
    }

    /// Multiplies every quantity mantissa by `factor` (the book's quantity scale widened).
    mutating func scaleQuantities(by factor: Int64) {
        for c in order {
            let base = c * Self.chunkCapacity
            for i in base..<(base + counts[c]) { quantities[i] *= factor }
        }
    }
}
