import Synchronization

/// Counters for one connection slot of a capture, shared by its event loop (frames, drops,
/// reconnects) and the merger (wins, duplicates, late copies). Each counter has a single
/// writer, so relaxed atomics are enough; readers (status lines, metrics, tests) see a
/// consistent-enough snapshot.
public final class ConnectionStatistics: Sendable {
    public let index: Int
    // Written by the session's event loop.
    public let framesReceived = Atomic<Int>(0)
    public let bytesReceived = Atomic<Int>(0)
    /// Copies dropped because the ring to the merger was full.
    public let ringDrops = Atomic<Int>(0)
    public let connects = Atomic<Int>(0)
    public let disconnects = Atomic<Int>(0)
    public let staleEvents = Atomic<Int>(0)
    public let connected = Atomic<Bool>(false)
    /// Non-text frames and frames that violated nothing but were skipped.
    public let skippedFrames = Atomic<Int>(0)
    /// Make-before-break replacements completed (age, `serverShutdown`).
    public let rotations = Atomic<Int>(0)
    /// Upgrades refused with 429/418 (the exchange asked us to back off).
    public let backOffs = Atomic<Int>(0)
    /// Links (channels) the session has opened, rotations' replacements aside, and the
    /// `CLOCK_REALTIME` ns the latest was created at (stored first): the merger tells a new
    /// link's first frame from the old link's last ones by them.
    public let links = Atomic<Int>(0)
    public let linkOpenedAt = Atomic<Int>(0)
    // Written by the merger.
    public let wins = Atomic<Int>(0)
    public let duplicates = Atomic<Int>(0)
    public let lateCopies = Atomic<Int>(0)
    /// Holes in continuity streams this connection filled while the others' successors waited:
    /// its real value to the capture beyond winning races.
    public let holesFilled = Atomic<Int>(0)
    public let malformed = Atomic<Int>(0)
    public let controlReplies = Atomic<Int>(0)
    /// Times the stream watchdog found a stream silent here while other connections delivered
    /// it, and asked the session to replace this connection.
    public let staleStreamEvents = Atomic<Int>(0)
    // Written by the session's event loop through ClientPinger.
    /// Round-trip time of the last answered client ping, ns (0 before the first pong).
    public let pingRoundTripNanos = Atomic<Int>(0)
    /// Pongs answering our pings.
    public let pongs = Atomic<Int>(0)

    public init(index: Int) { self.index = index }

    /// A plain copy of every counter.
    public var snapshot: Snapshot {
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

    public struct Snapshot: Sendable, Equatable {
        public var index: Int
        public var framesReceived: Int
        public var ringDrops: Int
        public var connects: Int
        public var disconnects: Int
        public var staleEvents: Int
        public var staleStreamEvents: Int
        public var connected: Bool
        public var wins: Int
        public var duplicates: Int
        public var lateCopies: Int
        public var holesFilled: Int = 0
        public var malformed: Int
        public var pingRoundTripNanos: Int
        public var pongs: Int
    }
}

extension Atomic where Value == Int {
    /// Single-writer increment: a relaxed load and store, cheaper than a locked add.
    @inlinable
    func bump(_ by: Int = 1) {
        store(load(ordering: .relaxed) &+ by, ordering: .relaxed)
    }
}
