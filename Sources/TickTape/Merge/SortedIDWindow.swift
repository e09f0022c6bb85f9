/// The most recent ids emitted for one stream, oldest first, for telling duplicates from late copies.
///
/// Emitted ids increase strictly, so the window is sorted and membership is a binary search
/// over a fixed circular buffer: no allocation and `O(log n)` per lookup. Beside each id it
/// keeps the winning copy's receive stamp, so a duplicate's lag behind the first arrival is
/// known without any clock synchronisation.
@usableFromInline
struct SortedIDWindow {
    @usableFromInline var storage: [Int64]
    /// Receive stamps of the emitted copies, at the same slots as `storage`.
    @usableFromInline var stamps: [Int64]
    @usableFromInline let mask: Int
    @usableFromInline var start = 0
    @usableFromInline var count = 0

    @usableFromInline
    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        storage = Array(repeating: 0, count: capacity)
        stamps = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Whether an id has ever been evicted (the window never shrinks): only then can an id
    /// below ``oldest`` have been emitted without being remembered.
    @inlinable var isFull: Bool { count == storage.count }

    /// The oldest id still remembered.
    @inlinable var oldest: Int64? { count == 0 ? nil : storage[start] }

    /// Appends an id larger than every id already in the window, evicting the oldest if full.
    /// `stamp` is the winning copy's receive time.
    @inlinable
    mutating func append(_ id: Int64, stamp: Int64 = 0) {
        if count == storage.count {
            storage[start] = id
            stamps[start] = stamp
            start = (start &+ 1) & mask
        } else {
            let slot = (start &+ count) & mask
            storage[slot] = id
            stamps[slot] = stamp
            count &+= 1
        }
    }

    @inlinable
    func contains(_ id: Int64) -> Bool { slot(of: id) != nil }

    /// The storage slot holding `id`, or nil if it is not remembered. The newest id (the
    /// common duplicate) is found without a search.
    @inlinable
    func slot(of id: Int64) -> Int? {
        if count > 0 {
            let newest = (start &+ count &- 1) & mask
            if storage[newest] == id { return newest }
        }
        var low = 0
        var high = count - 1
        while low <= high {
            let mid = (low &+ high) >> 1
            let slot = (start &+ mid) & mask
            let value = storage[slot]
            if value == id { return slot }
            if value < id { low = mid &+ 1 } else { high = mid &- 1 }
        }
        return nil
    }

    /// The receive stamp stored with the id at `slot` (from ``slot(of:)``).
    @inlinable
    func stamp(atSlot slot: Int) -> Int64 { stamps[slot] }
}
