import Testing

@testable import TickTape

/// The gate that gives the daemon's services a start order.
@Suite struct StartupLatchTests {
    @Test func aWaiterGoesOnOnlyOnceTheLatchIsOpen() async {
        let latch = StartupLatch()
        let waiter = Task { () -> Bool in
            await latch.wait()
            return latch.isOpen
        }
        latch.open()
        #expect(await waiter.value, "the wait ended with the latch open")
        // A late waiter does not wait at all.
        #expect(await finishes(within: .seconds(5)) { await latch.wait() })
    }

    /// A service whose predecessor failed is cancelled by its group; it must not wait for ever.
    @Test func cancellingAWaiterEndsItsWaitWithTheLatchStillClosed() async {
        let latch = StartupLatch()
        let waiter = Task { await latch.wait() }
        waiter.cancel()
        #expect(await finishes(within: .seconds(5)) { await waiter.value })
        #expect(!latch.isOpen)
    }
}
