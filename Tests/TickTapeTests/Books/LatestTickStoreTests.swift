import Foundation
import Synchronization
import Testing

@testable import TickTape

/// One writer thread publishing records whose fields all derive from one number; reader
/// threads must never see a record mixing two writes (a torn read).
@Suite struct LatestTickStoreTests {
    static func record(_ n: Int64) -> (inout LatestTick) -> Void {
        { t in
            t.bidPrice = FixedDecimal(mantissa: n, scale: 2)
            t.askPrice = FixedDecimal(mantissa: n + 1, scale: 2)
            t.bidQuantity = FixedDecimal(mantissa: n * 3, scale: 3)
            t.askQuantity = FixedDecimal(mantissa: n * 5, scale: 3)
            t.bookTickerUpdateID = n
            t.tradePrice = FixedDecimal(mantissa: n * 7, scale: 1)
            t.tradeID = n ^ 0x5555
            t.markTime = -n
            t.topAskQuantity = FixedDecimal(mantissa: n &* 31, scale: 4)
            t.bookUpdateID = n * 2
        }
    }

    /// Whether every field of `t` derives from the same n.
    static func isConsistent(_ t: LatestTick) -> Bool {
        let n = t.bookTickerUpdateID
        if n == 0 { return t.version == 0 }
        return t.bidPrice == FixedDecimal(mantissa: n, scale: 2) && t.askPrice == FixedDecimal(mantissa: n + 1, scale: 2)
            && t.bidQuantity == FixedDecimal(mantissa: n * 3, scale: 3)
            && t.askQuantity == FixedDecimal(mantissa: n * 5, scale: 3)
            && t.tradePrice == FixedDecimal(mantissa: n * 7, scale: 1) && t.tradeID == n ^ 0x5555 && t.markTime == -n
            && t.topAskQuantity == FixedDecimal(mantissa: n &* 31, scale: 4) && t.bookUpdateID == n * 2
            && t.version == UInt64(n)
    }

    /// What the threads share (atomics in a class, so the threads can hold it).
    final class Shared: Sendable {
        let done = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let versionsWentBack = Atomic<Int>(0)
    }

    /// Real threads, not tasks: spinning readers must not starve the writer of a pool thread.
    @Test func readersNeverSeeATornRecord() {
        let store = LatestTickStore(symbols: ["BTCUSDT", "ETHUSDT"])
        let slot = store.slot(for: "btcusdt")!
        let writes: Int64 = 200_000
        let shared = Shared()
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            Thread {
                var last: UInt64 = 0
                // At least one read after the writer finished, so the last write is checked too.
                var more = true
                while more {
                    more = !shared.done.load(ordering: .acquiring)
                    let t = store.read(slot)
                    if !Self.isConsistent(t) { shared.torn.add(1, ordering: .relaxed) }
                    if t.version < last { shared.versionsWentBack.add(1, ordering: .relaxed) }
                    last = t.version
                    shared.reads.add(1, ordering: .relaxed)
                }
                finished.signal()
            }.start()
        }
        Thread {
            for n in 1...writes { store.update(slot, Self.record(n)) }
            shared.done.store(true, ordering: .releasing)
            finished.signal()
        }.start()
        for _ in 0..<3 { finished.wait() }
        let torn = shared.torn.load(ordering: .relaxed)
        let reads = shared.reads.load(ordering: .relaxed)
        let versionsWentBack = shared.versionsWentBack.load(ordering: .relaxed)
        #expect(torn == 0)
        #expect(versionsWentBack == 0)
        #expect(reads > 0)
        let final = store.read(slot)
        #expect(final.version == UInt64(writes))
        #expect(Self.isConsistent(final))
        #expect(store.read(store.slot(for: "ETHUSDT")!) == LatestTick())
        #expect(store.slot(for: "SOLUSDT") == nil)
    }

    @Test func anUpdateMayChangeSomeFieldsOnly() {
        let store = LatestTickStore(symbols: ["BTCUSDT"])
        store.update(0) { $0.markPrice = FixedDecimal("61800.10")! }
        store.update(0) { $0.tradePrice = FixedDecimal("61800.20")! }
        let t = store.read(0)
        #expect(t.markPrice.description == "61800.10")
        #expect(t.tradePrice.description == "61800.20")
        #expect(t.version == 2)
    }
}
