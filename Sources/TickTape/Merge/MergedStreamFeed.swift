import Synchronization

/// The merged stream for a consumer on another thread (the book and analytics thread, the
/// relay): a ``MergedStreamConsumer`` that copies what the merger hands it into a
/// ``RecordRing`` and never waits.
///
/// The merger is the ring's only producer; the consumer thread its only reader. Streams are
/// sent by number: the first record of a stream is a ``Kind/stream`` record carrying its name,
/// so the reader keeps the table without a lock. A full ring drops the record and counts it;
/// the next record that fits says how many were lost before it (``RecordRing/Record/lostBefore``),
/// so a book can resync instead of silently applying a broken chain.
///
/// `@unchecked Sendable`: the stream table and loss count are the merger thread's (the ring's only producer); `dropped` is atomic.
package final class MergedStreamFeed: MergedStreamConsumer, @unchecked Sendable {
    /// What a record is.
    package enum Kind: UInt8, Sendable {
        /// A stream's name (payload), before its first message.
        case stream = 1
        /// The stream's next message in order.
        case merged = 2
        /// A late copy put in its id-ordered place in the capture.
        case latePlaced = 3
        /// A late copy the capture does not hold in order.
        case lateUnplaced = 4
        /// A ledger gap (payload: its JSON line).
        case gap = 5
    }

    /// The ring the reader polls.
    package let ring: RecordRing
    /// Records dropped because the ring was full, ever (exported).
    package let dropped = Atomic<Int>(0)
    private let accepts: (String) -> Bool
    // Merger thread only.
    private var numbers: [String: UInt16] = [:]
    private var unsent = 0
    private var announced = 0
    private var last: (name: String, number: UInt16?)?

    /// - Parameter accepts: whether the consumer wants a stream, asked once per stream name.
    package init(capacity: Int = 1 << 24, accepts: @escaping (String) -> Bool = { _ in true }) {
        self.ring = RecordRing(capacity: capacity)
        self.accepts = accepts
    }

    package func merged(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer) {
        guard let number = number(of: stream) else { return }
        send(.merged, id: id, receivedAt: receivedAt, stream: number, payload: frame)
    }

    package func late(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer, placed: Bool) {
        guard let number = number(of: stream) else { return }
        send(placed ? .latePlaced : .lateUnplaced, id: id, receivedAt: receivedAt, stream: number, payload: frame)
    }

    package func gap(_ record: GapRecord) {
        guard let number = number(of: record.stream) else { return }
        var line = record.json.compact
        line.withUTF8 { send(.gap, id: record.firstMissing, receivedAt: record.detectedAt, stream: number, payload: UnsafeRawBufferPointer($0)) }
    }

    /// The stream's number, announcing it first; nil for a stream the consumer does not want
    /// (or beyond the 65,534th, which no capture reaches), or while its announcement finds the
    /// ring full (that message is counted lost; the next one announces again).
    private func number(of stream: String) -> UInt16? {
        // Messages of one stream come in runs: the last answer first, before hashing the name.
        if let last, last.name == stream { return last.number }
        if let known = numbers[stream] {
            last = (stream, known == .max ? nil : known)
            return last?.number ?? nil
        }
        guard accepts(stream), numbers.count < Int(UInt16.max) else {
            numbers[stream] = .max
            return nil
        }
        let number = UInt16(announced)
        var name = stream
        let sent = name.withUTF8 {
            ring.push(
                kind: Kind.stream.rawValue, id: 0, receivedAt: 0, stream: number, lostBefore: UInt32(clamping: unsent),
                payload: UnsafeRawBufferPointer($0))
        }
        guard sent else {
            unsent += 1
            dropped.add(1, ordering: .relaxed)
            return nil
        }
        unsent = 0
        announced += 1
        numbers[stream] = number
        return number
    }

    private func send(_ kind: Kind, id: Int64, receivedAt: Int64, stream: UInt16, payload: UnsafeRawBufferPointer) {
        if ring.push(
            kind: kind.rawValue, id: id, receivedAt: receivedAt, stream: stream, lostBefore: UInt32(clamping: unsent),
            payload: payload)
        {
            unsent = 0
        } else {
            unsent += 1
            dropped.add(1, ordering: .relaxed)
        }
    }
}
