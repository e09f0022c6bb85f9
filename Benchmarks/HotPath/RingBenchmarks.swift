import Benchmark
import Foundation
import NIOCore
import Synchronization
import TickTape

/// The session → merger ring: one `InboundFrame` (receive stamp + NIO buffer) per message.
func registerRingBenchmarks() {
    let twoThreads = Holder<RingProducer>()
    Benchmark(
        "Ring/push+pop across two threads",
        closure: { benchmark in twoThreads.value!.consume(benchmark) },
        setup: { twoThreads.value = RingProducer(capacity: 65_536) },
        teardown: {
            twoThreads.value?.stop()
            twoThreads.value = nil
        })

    let oneThread = Holder<(SPSCRing<InboundFrame>, MessagePool)>()
    Benchmark(
        "Ring/push+pop same thread",
        closure: { benchmark in
            let (ring, pool) = oneThread.value!
            let buffers = pool.buffers
            var n = 0
            measured(benchmark) {
                // Bursts of 250, as a session's read loop delivers them.
                while n < messagesPerIteration {
                    for i in n..<(n + 250) { _ = ring.push(InboundFrame(receivedAt: Int64(i), payload: buffers[i])) }
                    while let frame = ring.pop() { blackHole(frame.receivedAt) }
                    n += 250
                }
            }
        },
        setup: { oneThread.value = (SPSCRing(capacity: 65_536), MessagePool(count: messagesPerIteration)) },
        teardown: { oneThread.value = nil })
}

/// State a benchmark builds in its setup hook and drops in its teardown.
final class Holder<T>: @unchecked Sendable {
    var value: T?
}

/// Pushes frames from its own thread, as a session's event loop does, as many as the consumer
/// (the benchmark thread, standing in for the merger) grants per iteration. Each frame shares
/// one of 1,000 NIO buffers, so every push and pop moves a reference count across threads, as
/// in the daemon.
final class RingProducer: @unchecked Sendable {
    let ring: SPSCRing<InboundFrame>
    private let buffers: [ByteBuffer]
    private let credits = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        ring = SPSCRing(capacity: capacity)
        buffers = MessagePool(count: messagesPerIteration).buffers
        let thread = Thread { [self] in run() }
        thread.name = "bench-producer"
        thread.start()
    }

    private func run() {
        var n = 0
        let count = buffers.count
        while running.load(ordering: .relaxed) {
            let granted = credits.load(ordering: .acquiring)
            if granted == 0 {
                sched_yield()
                continue
            }
            var pushed = 0
            while pushed < granted {
                // A full ring would make a session count a dropped copy; here it just retries.
                if ring.push(InboundFrame(receivedAt: Int64(n), payload: buffers[n % count])) {
                    pushed += 1
                    n += 1
                }
            }
            credits.subtract(pushed, ordering: .releasing)
        }
        done.signal()
    }

    /// One iteration: lets the producer push a batch and pops all of it.
    func consume(_ benchmark: Benchmark) {
        measured(benchmark) {
            credits.add(messagesPerIteration, ordering: .releasing)
            var received = 0
            while received < messagesPerIteration {
                if let frame = ring.pop() {
                    blackHole(frame.receivedAt)
                    received += 1
                }
            }
        }
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        done.wait()
    }
}
