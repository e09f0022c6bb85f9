/// The most recent ids emitted for one stream, oldest first, for telling duplicates from late copies.
///
/// Emitted ids increase strictly, so the window is sorted and membership is a binary search
/// over a fixed circular buffer: no allocation and `O(log n)` per lookup.
@usableFromInline
struct SortedIDWindow {
    @usableFromInline var storage: [Int64]
    @usableFromInline let mask: Int
    @usableFromInline var start = 0
    @usableFromInline var count = 0

    @usableFromInline
    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        storage = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// The oldest id still remembered.
    @inlinable var oldest: Int64? { count == 0 ? nil : storage[start] }

    /// Appends an id larger than every id already in the window, evicting the oldest if full.
    @inlinable
    mutating func append(_ id: Int64) {
        if count == storage.count {
            storage[start] = id
            start = (start &+ 1) & mask
        } else {
            storage[(start &+ count) & mask] = id
            count &+= 1
        }
    }

    @inlinable
    func contains(_ id: Int64) -> Bool {
        var low = 0
        var high = count - 1
        while low <= high {
            let mid = (low &+ high) >> 1
            let value = storage[(start &+ mid) & mask]
            if value == id { return true }
            if value < id { low = mid &+ 1 } else { high = mid &- 1 }
        }
        return false
    }
}
