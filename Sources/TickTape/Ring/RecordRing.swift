import Synchronization

/// A bounded, lock-free single-producer/single-consumer queue of variable-length byte records,
/// in one preallocated region.
///
/// Why not ``SPSCRing`` of buffers: the merger hands the merged stream to consumers on other
/// threads (the book/analytics thread, the relay) and the frame it hands over lives only for
/// the call. Copying it into a fresh buffer would allocate per message on the capture path;
/// copying it into this region costs a `memcpy` and never allocates, and the region's size is
/// the bound on what a slow consumer can hold back. A full ring makes ``push(kind:id:receivedAt:stream:payload:)``
/// return `false` at once: the producer counts the loss and moves on, it never waits.
///
/// Each record is a 32-byte header (`length`, `kind`, `stream`, `id`, `receivedAt`,
/// `lostBefore`) and its
/// payload, padded to 8 bytes. A record never wraps: when the space left before the end is too
/// small, the producer writes a skip marker there and starts at the beginning.
///
/// `@unchecked Sendable`: one producer and one consumer, each touching only its own line; bytes are published by release/acquire on `tail`/`head`.
package final class RecordRing: @unchecked Sendable {
    /// What the consumer sees of one record; `payload` is valid only during the callback.
    package struct Record {
        package var kind: UInt8
        package var stream: UInt16
        package var id: Int64
        package var receivedAt: Int64
        /// Records the producer could not push just before this one (the ring was full).
        package var lostBefore: UInt32
        package var payload: UnsafeRawBufferPointer
    }

    static let headerSize = 32
    private static let skipMarker: UInt32 = .max

    private let storage: UnsafeMutableRawPointer
    /// Bytes in the region, a power of two.
    package let capacity: Int
    private let mask: Int
    // Consumer-owned line: the byte offset it has read up to (monotonic).
    private let head = Atomic<Int>(0)
    private var cachedTail = 0
    private let _padding1: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    // Producer-owned line.
    private let tail = Atomic<Int>(0)
    private var cachedHead = 0
    private let _padding2: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Creates a ring of `capacity` bytes (a power of two, at least 4 KiB).
    package init(capacity: Int) {
        precondition(capacity >= 4096 && capacity & (capacity - 1) == 0, "record ring capacity must be a power of two ≥ 4 KiB")
        self.capacity = capacity
        self.mask = capacity - 1
        self.storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        storage.deallocate()
    }

    /// The largest payload one record can carry.
    package var maxPayload: Int { capacity / 4 - Self.headerSize }

    @inline(__always)
    private static func footprint(_ payload: Int) -> Int {
        (headerSize + payload + 7) & ~7
    }

    /// Appends a record; producer side only. `false` when it does not fit now (the ring is
    /// full, or the payload is larger than ``maxPayload``).
    @discardableResult
    package func push(
        kind: UInt8, id: Int64, receivedAt: Int64, stream: UInt16 = 0, lostBefore: UInt32 = 0, payload: UnsafeRawBufferPointer
    ) -> Bool {
        guard payload.count <= maxPayload else { return false }
        let size = Self.footprint(payload.count)
        var t = tail.load(ordering: .relaxed)
        let untilEnd = capacity - (t & mask)
        let needed = untilEnd < size ? untilEnd + size : size
        if t &+ needed &- cachedHead > capacity {
            cachedHead = head.load(ordering: .acquiring)
            if t &+ needed &- cachedHead > capacity { return false }
        }
        if untilEnd < size {
            // Too little room before the end: mark it skipped (the 4-byte marker always fits:
            // offsets and footprints are multiples of 8).
            storage.storeBytes(of: Self.skipMarker, toByteOffset: t & mask, as: UInt32.self)
            t &+= untilEnd
        }
        let at = storage + (t & mask)
        at.storeBytes(of: UInt32(payload.count), as: UInt32.self)
        at.storeBytes(of: kind, toByteOffset: 4, as: UInt8.self)
        at.storeBytes(of: stream, toByteOffset: 6, as: UInt16.self)
        at.storeBytes(of: id, toByteOffset: 8, as: Int64.self)
        at.storeBytes(of: receivedAt, toByteOffset: 16, as: Int64.self)
        at.storeBytes(of: lostBefore, toByteOffset: 24, as: UInt32.self)
        if let base = payload.baseAddress, payload.count > 0 {
            (at + Self.headerSize).copyMemory(from: base, byteCount: payload.count)
        }
        tail.store(t &+ size, ordering: .releasing)
        return true
    }

    /// Hands the oldest record to `body` and removes it; consumer side only. False when empty.
    @discardableResult
    package func pop(_ body: (Record) -> Void) -> Bool {
        var h = head.load(ordering: .relaxed)
        if h == cachedTail {
            cachedTail = tail.load(ordering: .acquiring)
            if h == cachedTail { return false }
        }
        if storage.load(fromByteOffset: h & mask, as: UInt32.self) == Self.skipMarker {
            h &+= capacity - (h & mask)
            if h == cachedTail {
                head.store(h, ordering: .releasing)
                return false
            }
        }
        let at = storage + (h & mask)
        let length = Int(at.load(as: UInt32.self))
        let record = Record(
            kind: at.load(fromByteOffset: 4, as: UInt8.self),
            stream: at.load(fromByteOffset: 6, as: UInt16.self),
            id: at.load(fromByteOffset: 8, as: Int64.self),
            receivedAt: at.load(fromByteOffset: 16, as: Int64.self),
            lostBefore: at.load(fromByteOffset: 24, as: UInt32.self),
            payload: UnsafeRawBufferPointer(start: at + Self.headerSize, count: length))
        body(record)
        head.store(h &+ Self.footprint(length), ordering: .releasing)
        return true
    }

    /// Bytes queued; exact only on the consumer side.
    package var usedBytes: Int {
        tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring)
    }
}
