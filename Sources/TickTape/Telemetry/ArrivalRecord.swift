/// One copy's arrival as the merger saw it: 32 bytes, written into preallocated chunks on the
/// hot path and turned into text by the reporter thread.
struct ArrivalRecord {
    /// Index into the sidecar's stream names.
    var stream: Int32
    /// Connection slot that delivered the copy.
    var connection: Int32
    /// Exchange sequence id (or content hash).
    var id: Int64
    /// `E` as sent (0 if absent).
    var eventTime: Int64
    /// `CLOCK_REALTIME` ns at the socket read.
    var receivedAt: Int64
}

/// A preallocated block of ``ArrivalRecord``s travelling between the merger and the writer.
///
/// `@unchecked Sendable`: one owner at a time (merger, then sidecar writer), handed over through an SPSC ring.
final class ArrivalChunk: @unchecked Sendable {
    static let capacity = 8192
    let records: UnsafeMutablePointer<ArrivalRecord>
    var count = 0

    init() {
        records = .allocate(capacity: Self.capacity)
    }

    deinit {
        records.deallocate()
    }
}
