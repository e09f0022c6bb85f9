/// A set that remembers only the last `capacity` values inserted (FIFO eviction).
///
/// Used for content-deduplicated streams (hashes) and for late ids, whose order is arbitrary.
/// Capacity is reserved up front, so steady-state inserts do not allocate.
@usableFromInline
struct RecentSet {
    @usableFromInline var members: Set<Int64>
    @usableFromInline var order: [Int64]
    @usableFromInline var next = 0

    @usableFromInline
    init(capacity: Int) {
        members = Set(minimumCapacity: capacity * 2)
        order = []
        order.reserveCapacity(capacity)
        precondition(capacity > 0)
        self.capacityLimit = capacity
    }

    @usableFromInline let capacityLimit: Int

    @inlinable func contains(_ value: Int64) -> Bool { members.contains(value) }

    /// Inserts `value`; returns false if it was already present.
    @inlinable
    mutating func insert(_ value: Int64) -> Bool {
        guard members.insert(value).inserted else { return false }
        if order.count < capacityLimit {
            order.append(value)
        } else {
            members.remove(order[next])
            order[next] = value
            next = next &+ 1 == capacityLimit ? 0 : next &+ 1
        }
        return true
    }
}
