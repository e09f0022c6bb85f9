import Synchronization
import Testing

@testable import TickTape

@Suite struct SPSCRingTests {
    @Test func fullRingRefusesPushInsteadOfBlocking() {
        let ring = SPSCRing<Int>(capacity: 4)
        for i in 0..<4 { #expect(ring.push(i)) }
        #expect(!ring.push(99))
        #expect(ring.pop() == 0)
        #expect(ring.push(4))
        #expect((0..<4).map { _ in ring.pop() } == [1, 2, 3, 4])
        #expect(ring.pop() == nil)
    }

    @Test func elementsCrossThreadsInOrderWithoutLoss() async {
        let ring = SPSCRing<Int>(capacity: 1024)
        let total = 2_000_000
        let producer = Task.detached {
            var i = 0
            while i < total {
                if ring.push(i) { i += 1 }
            }
        }
        var expected = 0
        var ordered = true
        while expected < total {
            if let v = ring.pop() {
                if v != expected { ordered = false }
                expected += 1
            }
        }
        await producer.value
        #expect(ordered)
        #expect(expected == total)
        #expect(ring.pop() == nil)
    }
}
