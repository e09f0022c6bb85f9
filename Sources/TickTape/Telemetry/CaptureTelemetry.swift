/// The merger-side recorder of one capture's telemetry.
///
/// Everything here runs on the merger thread, recording into the active
/// ``TelemetryWindow`` with no lock, no atomic read-modify-write and no allocation; every
/// interval the window is swapped through a ``WindowExchange`` for the reporter to
/// summarise. What the reporter keeps between windows lives in ``accumulator``, which only
/// the reporter thread touches.
///
/// `@unchecked Sendable`: the active window is the merger thread's, the accumulator the reporter's; they meet only in ``WindowExchange``.
package final class CaptureTelemetry: @unchecked Sendable {
    package let name: String
    /// Ring slots per connection, for the ring-depth alarm.
    let ringCapacity: Int
    let exchange: WindowExchange
    /// Reporter thread only.
    let accumulator: TelemetryAccumulator
    /// The per-message arrivals file, when `[telemetry] arrivals` is on.
    let arrivals: ArrivalsSidecar?

    // Merger thread only.
    private var active: TelemetryWindow
    /// The active window's buffers, cached as trivial values so the per-message path touches
    /// no reference count and no exclusivity-checked class property.
    @exclusivity(unchecked) private var hotSlots: UnsafeMutablePointer<ConnectionFigures>
    @exclusivity(unchecked) private var hotCount = 0
    @exclusivity(unchecked) private var hotMerged: UnsafeMutablePointer<MergedFigures>
    private var statistics: [ConnectionStatistics?] = []
    private var rings: [SPSCRing<InboundFrame>?] = []
    private var capture: CaptureStatistics?
    private let intervalNanos: Int64
    private var nextRollAt: Int64 = 0

    /// `package`: the hot-path microbenchmarks measure the merger with telemetry on.
    package init(name: String, interval: Duration, ringCapacity: Int, arrivals: ArrivalsSidecar?) {
        self.name = name
        self.ringCapacity = ringCapacity
        self.intervalNanos = max(interval.nanoseconds, 1_000_000)
        let first = TelemetryWindow()
        self.active = first
        self.hotSlots = first.slots
        self.hotMerged = first.merged
        self.exchange = WindowExchange(spare: TelemetryWindow())
        self.accumulator = TelemetryAccumulator(name: name, ringCapacity: ringCapacity)
        self.arrivals = arrivals
        let now = WallClock.monotonicNanos()
        active.startedAt = now
        nextRollAt = now + intervalNanos
    }

    // MARK: Merger thread

    /// Gives the capture's totals (set once by ``CaptureMerger``).
    func bind(capture: CaptureStatistics) {
        self.capture = capture
    }

    /// A connection joined: its slot gets histograms in the active window.
    func attach(_ stats: ConnectionStatistics, ring: SPSCRing<InboundFrame>) {
        let slot = stats.index
        while statistics.count <= slot {
            statistics.append(nil)
            rings.append(nil)
        }
        statistics[slot] = stats
        rings[slot] = ring
        active.ensureConnections(statistics.count)
        cacheActive()
    }

    private func cacheActive() {
        hotSlots = active.slots
        hotCount = active.count
        hotMerged = active.merged
    }

    /// A connection left: its slot stops being reported.
    func detach(_ stats: ConnectionStatistics) {
        guard stats.index < statistics.count, statistics[stats.index] === stats else { return }
        statistics[stats.index] = nil
        rings[stats.index] = nil
    }

    /// Records one copy of a data message. This is the whole per-message cost of telemetry:
    /// one or two histogram increments for latency, one for the merged stream when the copy
    /// won, one for lag when it lost, and a 32-byte record when the arrivals file is on.
    @inline(__always)
    func record(
        _ frame: ScannedFrame, id: Int64, receivedAt: Int64, connection slot: Int,
        decision: SequenceDecision, stream: StreamSequencer
    ) {
        guard slot < hotCount else { return }
        let connection = hotSlots + slot
        var won = false
        if case .emit = decision { won = true }
        if let e = frame.eventTime {
            let latency = Self.latencyMicros(receivedAt: receivedAt, exchangeTime: e)
            connection.pointee.latencyEvent.record(latency)
            if won { hotMerged.pointee.event.record(latency) }
        }
        if let t = frame.transactionTime {
            let latency = Self.latencyMicros(receivedAt: receivedAt, exchangeTime: t)
            connection.pointee.latencyTransaction.record(latency)
            if won { hotMerged.pointee.transaction.record(latency) }
        }
        if case .duplicate = decision, stream.winnerReceivedAt != 0 {
            connection.pointee.lag.record(receivedAt &- stream.winnerReceivedAt)
        }
        if let arrivals {
            if stream.telemetrySlot < 0 { stream.telemetrySlot = arrivals.register(stream: stream.name) }
            arrivals.append(
                stream: stream.telemetrySlot, connection: slot, id: id, eventTime: frame.eventTime ?? 0,
                receivedAt: receivedAt)
        }
    }

    /// Notes a ring's depth as seen by a poll (once per poll, not per message).
    @inline(__always)
    func observe(ringDepth: Int, connection slot: Int) {
        guard slot < hotCount else { return }
        let connection = hotSlots + slot
        if ringDepth > connection.pointee.ringDepthMax { connection.pointee.ringDepthMax = ringDepth }
    }

    /// Closes the window when the interval has passed and the reporter has returned the spare.
    func rollIfDue(now: Int64) {
        guard now >= nextRollAt, exchange.spareReady else { return }
        let closing = active
        closing.endedAt = now
        closing.endedAtWall = WallClock.realtimeNanos()
        closing.ensureConnections(statistics.count)
        for slot in 0..<closing.count {
            closing.counters[slot] = slot < statistics.count ? statistics[slot]?.snapshot : nil
            closing.rings[slot] = slot < rings.count ? rings[slot] : nil
        }
        if let capture {
            closing.emittedTotal = capture.emitted.load(ordering: .relaxed)
            closing.lateMessagesTotal = capture.lateMessages.load(ordering: .relaxed)
            closing.gapsTotal = capture.gaps.load(ordering: .relaxed)
            closing.storageDropsTotal = capture.storageDrops.load(ordering: .relaxed)
            closing.silentStreams = capture.silentStreams.load(ordering: .relaxed)
            closing.merge = capture.merge
        }
        let connectionCount = statistics.count
        exchange.swap(&active) { fresh in
            fresh.ensureConnections(connectionCount)
            fresh.startedAt = now
        }
        cacheActive()
        nextRollAt = now + intervalNanos
        arrivals?.handOver()
    }

    /// At stop: hands over what the arrivals file still buffers.
    func finish() {
        arrivals?.handOver()
    }

    /// Arrival minus an exchange timestamp, in µs. Binance sends ms, or µs on
    /// `timeUnit=MICROSECOND` streams; the magnitude tells which (ms epochs are ~1.7e12, µs ~1.7e15).
    @inline(__always)
    static func latencyMicros(receivedAt: Int64, exchangeTime: Int64) -> Int64 {
        let exchangeNanos = exchangeTime < 100_000_000_000_000 ? exchangeTime &* 1_000_000 : exchangeTime &* 1_000
        return (receivedAt &- exchangeNanos) / 1_000
    }
}
