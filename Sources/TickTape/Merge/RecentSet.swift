/// A set that remembers only the last `capacity` values inserted (FIFO eviction).
///
/// Used for content-deduplicated streams (hashes) and for late ids, whose order is arbitrary.
/// Each member carries the receive stamp of the copy that inserted it (the winner's, for lag).
/// Capacity is reserved up front, so steady-state inserts do not allocate.
@usableFromInline
struct RecentSet {
    @usableFromInline var members: [Int64: Int64]
    @usableFromInline var order: [Int64]
    @usableFromInline var next = 0

    @usableFromInline
    init(capacity: Int) {
        members = Dictionary(minimumCapacity: capacity * 2)
        order = []
        order.reserveCapacity(capacity)
        precondition(capacity > 0)
        self.capacityLimit = capacity
    }

    @usableFromInline let capacityLimit: Int

    @inlinable func contains(_ value: Int64) -> Bool { members[value] != nil }

    /// The stamp stored with `value`, or nil if it is not a member.
    @inlinable func stamp(of value: Int64) -> Int64? { members[value] }

    /// Inserts `value` with `stamp`; returns false (keeping the first stamp) if it was already present.
    @inlinable
    mutating func insert(_ value: Int64, stamp: Int64 = 0) -> Bool {
        guard members[value] == nil else { return false }
        members[value] = stamp
        if order.count < capacityLimit {
            order.append(value)
        } else {
            members[order[next]] = nil
            order[next] = value
            next = next &+ 1 == capacityLimit ? 0 : next &+ 1
        }
        return true
    }
}
