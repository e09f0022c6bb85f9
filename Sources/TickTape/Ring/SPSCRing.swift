import Synchronization

/// A bounded, lock-free single-producer/single-consumer queue.
///
/// One ring sits between each session's event loop (the only producer) and the merger thread
/// (the only consumer). Slots are preallocated, the capacity is a power of two, and neither
/// side ever blocks: a full ring makes ``push(_:)`` return `false` so the event loop can count
/// the dropped copy and move on (the other sessions carry the same message).
///
/// `head` and `tail` grow monotonically; each side caches the other's index so the shared
/// cache lines are touched only when the cached view says the ring looks full or empty.
///
/// `@unchecked Sendable`: one producer and one consumer, each touching only its own line; slots are published by release/acquire on `tail`/`head`.
package final class SPSCRing<Element>: @unchecked Sendable {
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element?>
    // Consumer-owned line.
    @usableFromInline let head = Atomic<Int>(0)
    @usableFromInline var cachedTail = 0
    @usableFromInline let _padding1: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    // Producer-owned line.
    @usableFromInline let tail = Atomic<Int>(0)
    @usableFromInline var cachedHead = 0
    @usableFromInline let _padding2: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// The number of slots.
    package var capacity: Int { mask + 1 }

    /// Creates a ring with `capacity` slots; `capacity` must be a power of two.
    package init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two")
        self.mask = capacity - 1
        self.slots = .allocate(capacity: capacity)
        self.slots.initialize(repeating: nil, count: capacity)
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    /// Appends `element`; producer side only. Returns `false` when the ring is full.
    @inlinable
    package func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t &- cachedHead > mask {
            cachedHead = head.load(ordering: .acquiring)
            if t &- cachedHead > mask { return false }
        }
        slots[t & mask] = element
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Removes the oldest element; consumer side only.
    @inlinable
    package func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        if h == cachedTail {
            cachedTail = tail.load(ordering: .acquiring)
            if h == cachedTail { return nil }
        }
        let element = slots[h & mask].take()
        head.store(h &+ 1, ordering: .releasing)
        return element
    }

    /// The most recently pushed element still queued, without removing anything; consumer side
    /// only. Safe because the producer never rewrites a slot the consumer has not passed.
    package var newest: Element? {
        let t = tail.load(ordering: .acquiring)
        guard t != head.load(ordering: .relaxed) else { return nil }
        return slots[(t &- 1) & mask]
    }

    /// Elements currently queued; exact only on the consumer side, an estimate elsewhere.
    package var count: Int {
        tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring)
    }
}
