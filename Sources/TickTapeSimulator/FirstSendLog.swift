import Synchronization

/// The earliest time each message index was handed to a socket, over all connections, and how many copies
/// were sent: the reference of the end-to-end benchmark (`ticktape simulate --send-log`, `scripts/bench-e2e`).
///
/// Off by default (``SimulatorConfiguration/recordsFirstSendTimes``). A pump stamps `CLOCK_REALTIME` once per
/// batch, just before the batch's `writeAndFlush`, and records the batch after the write under one lock
/// acquisition: per message one array store, a min and a counter. The resolution is therefore one pump batch:
/// every message of a batch carries the instant the batch went to the kernel. Memory: 9 bytes per message
/// index, independent of the number of connections.
final class FirstSendLog: Sendable {
    struct Snapshot: Sendable {
        /// Unix nanoseconds of the first send of message `i`; 0 if it was never sent.
        var firstNanos: [Int64]
        /// Copies of message `i` sent over all connections (saturates at 255).
        var copies: [UInt8]
    }

    private let state: Mutex<Snapshot>

    init(reservingCapacity capacity: Int) {
        var initial = Snapshot(firstNanos: [], copies: [])
        initial.firstNanos.reserveCapacity(max(0, capacity))
        initial.copies.reserveCapacity(max(0, capacity))
        self.state = Mutex(initial)
    }

    /// Records that the messages `indices` were handed to a socket at `nanos`.
    func record(_ indices: [Int], at nanos: Int64) {
        self.state.withLock { log in
            for index in indices where index >= 0 {
                if index >= log.firstNanos.count {
                    let missing = index + 1 - log.firstNanos.count
                    log.firstNanos.append(contentsOf: repeatElement(0, count: missing))
                    log.copies.append(contentsOf: repeatElement(0, count: missing))
                }
                let previous = log.firstNanos[index]
                if previous == 0 || nanos < previous { log.firstNanos[index] = nanos }
                if log.copies[index] < .max { log.copies[index] += 1 }
            }
        }
    }

    var snapshot: Snapshot {
        self.state.withLock { $0 }
    }
}
