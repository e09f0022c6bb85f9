import Foundation
import Testing

@testable import TickTape

@Suite struct RecordRingTests {
    static func push(_ ring: RecordRing, _ text: String, id: Int64) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { ring.push(kind: 1, id: id, receivedAt: id * 10, stream: 7, payload: UnsafeRawBufferPointer($0)) }
    }

    static func pop(_ ring: RecordRing) -> (String, Int64, Int64, UInt16)? {
        var out: (String, Int64, Int64, UInt16)?
        ring.pop { out = (String(decoding: $0.payload, as: UTF8.self), $0.id, $0.receivedAt, $0.stream) }
        return out
    }

    @Test func recordsComeOutInOrderWithTheirHeaders() {
        let ring = RecordRing(capacity: 4096)
        #expect(Self.push(ring, "first", id: 1))
        #expect(Self.push(ring, "", id: 2))
        #expect(Self.pop(ring).map { "\($0.0) \($0.1) \($0.2) \($0.3)" } == "first 1 10 7")
        #expect(Self.pop(ring)?.0 == "")
        #expect(Self.pop(ring) == nil)
    }

    /// Records of every size wrap around the end many times, never split, never reordered.
    @Test func recordsNeverSplitAcrossTheEnd() {
        let ring = RecordRing(capacity: 4096)
        var next: Int64 = 0
        var expected: Int64 = 0
        var lengths: [Int64: Int] = [:]
        for round in 0..<2_000 {
            let length = (round * 37) % 700
            if Self.push(ring, String(repeating: "x", count: length), id: next) {
                lengths[next] = length
                next += 1
            }
            if round % 3 != 0, let (payload, id, _, _) = Self.pop(ring) {
                #expect(id == expected)
                #expect(payload.count == lengths[id])
                expected += 1
            }
        }
        while let (payload, id, _, _) = Self.pop(ring) {
            #expect(id == expected)
            #expect(payload.count == lengths[id])
            expected += 1
        }
        #expect(expected == next)
        #expect(ring.usedBytes == 0)
    }

    @Test func aFullRingRefusesWithoutBlockingAndAcceptsAgainOnceRead() {
        let ring = RecordRing(capacity: 4096)
        var pushed = 0
        while Self.push(ring, String(repeating: "y", count: 100), id: Int64(pushed)) { pushed += 1 }
        #expect(pushed == 4096 / 136, "every 100-byte record takes 32 + 104 bytes")
        #expect(Self.pop(ring)?.1 == 0)
        #expect(Self.push(ring, "z", id: 99))
        #expect(!Self.push(ring, String(repeating: "w", count: ring.maxPayload + 1), id: 100), "oversize refused")
    }

    /// One producer thread, one consumer thread: every record arrives once, in order, intact.
    @Test func acrossTwoThreadsEveryRecordArrivesIntact() async {
        let ring = RecordRing(capacity: 1 << 16)
        let total = 50_000
        let producer = Thread {
            var i = 0
            while i < total {
                var bytes = Array("message \(i) ".utf8) + Array(repeating: UInt8(i % 251), count: i % 300)
                let ok = bytes.withUnsafeMutableBytes { ring.push(kind: 2, id: Int64(i), receivedAt: 0, payload: UnsafeRawBufferPointer($0)) }
                if ok { i += 1 }
            }
        }
        producer.start()
        var expected = 0
        var intact = true
        while expected < total {
            ring.pop { record in
                let prefix = Array("message \(expected) ".utf8)
                let body = Array(record.payload)
                if record.id != Int64(expected) || Array(body.prefix(prefix.count)) != prefix
                    || body.count != prefix.count + expected % 300
                    || body.dropFirst(prefix.count).contains(where: { $0 != UInt8(expected % 251) })
                {
                    intact = false
                }
                expected += 1
            }
        }
        #expect(intact)
        #expect(expected == total)
    }
}
