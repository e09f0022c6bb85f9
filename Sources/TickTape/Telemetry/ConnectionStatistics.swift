import Synchronization

/// Counters for one connection slot of a capture, shared by its event loop (frames, drops,
/// reconnects) and the merger (wins, duplicates, late copies). Each counter has a single
/// writer, so relaxed atomics are enough; readers (status lines, metrics, tests) see a
/// consistent-enough snapshot.
package final class ConnectionStatistics: Sendable {
    package let index: Int
    // Written by the session's event loop.
    package let framesReceived = Atomic<Int>(0)
    package let bytesReceived = Atomic<Int>(0)
    /// Copies dropped because the ring to the merger was full.
    package let ringDrops = Atomic<Int>(0)
    package let connects = Atomic<Int>(0)
    package let disconnects = Atomic<Int>(0)
    package let staleEvents = Atomic<Int>(0)
    package let connected = Atomic<Bool>(false)
    /// Non-text frames and frames that violated nothing but were skipped.
    package let skippedFrames = Atomic<Int>(0)
    /// Make-before-break replacements completed (age, `serverShutdown`).
    package let rotations = Atomic<Int>(0)
    /// Upgrades refused with 429/418 (the exchange asked us to back off).
    package let backOffs = Atomic<Int>(0)
    /// Links (channels) the session has opened, rotations' replacements aside, and the
    /// `CLOCK_REALTIME` ns the latest was created at (stored first): the merger tells a new
    /// link's first frame from the old link's last ones by them.
    package let links = Atomic<Int>(0)
    package let linkOpenedAt = Atomic<Int>(0)
    // Written by the merger.
    package let wins = Atomic<Int>(0)
    package let duplicates = Atomic<Int>(0)
    package let lateCopies = Atomic<Int>(0)
    /// Holes in continuity streams this connection filled while the others' successors waited:
    /// its real value to the capture beyond winning races.
    package let holesFilled = Atomic<Int>(0)
    package let malformed = Atomic<Int>(0)
    package let controlReplies = Atomic<Int>(0)
    /// Times the stream watchdog found a stream silent here while other connections delivered
    /// it, and asked the session to replace this connection.
    package let staleStreamEvents = Atomic<Int>(0)
    // Written by the session's event loop through ClientPinger.
    /// Round-trip time of the last answered client ping, ns (0 before the first pong).
    package let pingRoundTripNanos = Atomic<Int>(0)
    /// Pongs answering our pings.
    package let pongs = Atomic<Int>(0)

    package init(index: Int) { self.index = index }

    /// A plain copy of every counter.
    package var snapshot: Snapshot {
        Snapshot(
            index: index,
            framesReceived: framesReceived.load(ordering: .relaxed),
            ringDrops: ringDrops.load(ordering: .relaxed),
            connects: connects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed),
            staleEvents: staleEvents.load(ordering: .relaxed),
            staleStreamEvents: staleStreamEvents.load(ordering: .relaxed),
            connected: connected.load(ordering: .relaxed),
            wins: wins.load(ordering: .relaxed),
            duplicates: duplicates.load(ordering: .relaxed),
            lateCopies: lateCopies.load(ordering: .relaxed),
            holesFilled: holesFilled.load(ordering: .relaxed),
            malformed: malformed.load(ordering: .relaxed),
            pingRoundTripNanos: pingRoundTripNanos.load(ordering: .relaxed),
            pongs: pongs.load(ordering: .relaxed))
    }

    package struct Snapshot: Sendable, Equatable {
        package var index: Int
        package var framesReceived: Int
        package var ringDrops: Int
        package var connects: Int
        package var disconnects: Int
        package var staleEvents: Int
        package var staleStreamEvents: Int
        package var connected: Bool
        package var wins: Int
        package var duplicates: Int
        package var lateCopies: Int
        package var holesFilled: Int = 0
        package var malformed: Int
        package var pingRoundTripNanos: Int
        package var pongs: Int
    }
}

extension Atomic where Value == Int {
    /// Single-writer increment: a relaxed load and store, cheaper than a locked add.
    @inlinable
    func bump(_ by: Int = 1) {
        store(load(ordering: .relaxed) &+ by, ordering: .relaxed)
    }
}
