/// One interval of a capture's telemetry: the merged stream's histograms and every
/// connection's, with the counters as they stood at the window's end.
///
/// Two windows exist per capture and trade places every interval: the merger records into
/// one while the reporter summarises and resets the other. Neither is ever copied, so the
/// swap costs two pointer moves and the merger never waits. The histograms live in manually
/// allocated buffers that the merger reaches through raw pointers (see ``ConnectionFigures``).
///
/// `@unchecked Sendable`: one owner at a time (merger or reporter), handed over by ``WindowExchange``.
final class TelemetryWindow: @unchecked Sendable {
    /// Merged stream (the winning copies).
    let merged: UnsafeMutablePointer<MergedFigures>
    /// By connection slot (``ConnectionStatistics/index``), `count` of them.
    private(set) var slots: UnsafeMutablePointer<ConnectionFigures>
    private(set) var count = 0
    private var capacity = 0
    /// Counters as they stood when the window closed, by slot (nil: the connection had left).
    var counters: [ConnectionStatistics.Snapshot?] = []
    /// Each slot's ring, for its current depth (reporter side).
    var rings: [SPSCRing<InboundFrame>?] = []
    /// `CLOCK_MONOTONIC` ns at the window's start and end.
    var startedAt: Int64 = 0
    var endedAt: Int64 = 0
    /// `CLOCK_REALTIME` ns at the window's end.
    var endedAtWall: Int64 = 0
    /// Capture totals at the window's end.
    var emittedTotal = 0
    var lateMessagesTotal = 0
    var gapsTotal = 0
    var storageDropsTotal = 0
    var silentStreams = 0
    var merge = CaptureStatistics.MergeSnapshot()

    init() {
        merged = .allocate(capacity: 1)
        merged.initialize(to: MergedFigures())
        slots = .allocate(capacity: 0)
    }

    deinit {
        merged.deinitialize(count: 1)
        merged.deallocate()
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// Makes sure slots `0..<n` exist. Allocates only when connections were added, and only
    /// on a window the caller owns (never while the merger records into another thread's view).
    func ensureConnections(_ n: Int) {
        if n > capacity {
            let grown = UnsafeMutablePointer<ConnectionFigures>.allocate(capacity: n)
            grown.moveInitialize(from: slots, count: count)
            slots.deallocate()
            slots = grown
            capacity = n
        }
        while count < n {
            (slots + count).initialize(to: ConnectionFigures())
            count += 1
        }
        while counters.count < n {
            counters.append(nil)
            rings.append(nil)
        }
    }

    func reset() {
        merged.pointee.reset()
        for k in 0..<count { slots[k].reset() }
        for k in counters.indices { counters[k] = nil }
    }
}
