/// Per-stream staleness for one capture, run by the merger thread between batches.
///
/// The per-connection `stale_after` only notices a connection that delivers nothing at all.
/// This notices three quieter failures, each with the stream's own quiet limit
/// (`stream_stale_after`, else ``StreamKind/quietLimit``):
/// - a stream silent on one connection while another still delivers it: that connection lost
///   its subscription, so it is replaced make-before-break (no gap; the others cover meanwhile);
/// - a stream silent on every connection: reported (log, STATUS, metrics) and cleared when it
///   delivers again; reconnecting cannot make a quiet market move, so nothing is torn down;
/// - a configured stream never heard from since the first connection came up: Binance
///   acknowledges subscriptions to names it never serves, and this is how a typo shows.
package final class StreamWatchdog {
    /// What the watchdog needs from the capture's config; changes with a reload.
    package struct Settings: Sendable, Equatable {
        /// The configured stream names (URL and `subscribe`).
        var streams: [String]
        /// `stream_stale_after`: nil uses the per-kind defaults, `.some(nil)` turns the
        /// watchdog off ("never"), `.some(d)` applies `d` to every stream.
        var quietLimit: Duration??

        package init(streams: [String] = [], quietLimit: Duration?? = nil) {
            self.streams = streams
            self.quietLimit = quietLimit
        }

        init(_ capture: CaptureConfig) {
            self.init(streams: capture.endpoint.streams + capture.subscribe, quietLimit: capture.streamStaleAfter)
        }
    }

    private struct Expected {
        var name: String
        var kind: StreamKind
        var limit: Int64
        var heard = false
        var reported = false
    }

    /// How often the checks run (ns); limits are seconds, so this is fine-grained enough.
    static let checkPeriod: Int64 = 250_000_000

    private let capture: String
    private let logger: DeferredLogger
    private var settings: Settings
    private var expected: [Expected] = []
    private var silent: Set<String> = []
    private var lastRequestAt: [Int: Int64] = [:]
    private var firstUpAt: Int64 = 0
    private var lastCheckAt: Int64 = 0

    init(capture: String, settings: Settings, logger: DeferredLogger) {
        self.capture = capture
        self.logger = logger
        self.settings = settings
        expected = Self.expectations(settings)
    }

    /// Applies new settings and re-derives every known stream's limit.
    func update(_ new: Settings, streams: some Sequence<StreamSequencer>) {
        guard new != settings else { return }
        settings = new
        expected = Self.expectations(new)
        for stream in streams { adopt(stream) }
    }

    /// Sets a newly seen stream's quiet limit, and marks the configured name it answers to.
    func adopt(_ stream: StreamSequencer) {
        let kind: StreamKind
        if let i = configuredIndex(of: stream.name) {
            expected[i].heard = true
            if expected[i].reported {
                expected[i].reported = false
                logger.notice("configured stream delivers at last", metadata: ["capture": "\(capture)", "stream": "\(expected[i].name)"])
            }
            kind = expected[i].kind
        } else {
            kind = StreamKind(streamName: stream.name)
        }
        stream.quietLimitNanos = Self.limit(kind, settings)
    }

    /// Runs the checks if one is due. `now` is `CLOCK_MONOTONIC` for pacing; stamps are compared
    /// with `CLOCK_REALTIME`, like the receive stamps themselves.
    func checkIfDue(
        now: Int64, streams: some Sequence<StreamSequencer>, connections: [ConnectionStatistics],
        controls: [ConnectionControl], statistics: CaptureStatistics
    ) {
        guard now - lastCheckAt >= Self.checkPeriod else { return }
        lastCheckAt = now
        let wall = WallClock.realtimeNanos()
        if firstUpAt == 0 {
            guard connections.contains(where: { $0.connected.load(ordering: .relaxed) }) else { return }
            firstUpAt = wall
        }
        for stream in streams where stream.quietLimitNanos > 0 {
            check(stream, at: wall, connections: connections, controls: controls, statistics: statistics)
        }
        for i in expected.indices where !expected[i].heard && !expected[i].reported && expected[i].limit > 0 {
            guard wall - firstUpAt > expected[i].limit else { continue }
            expected[i].reported = true
            statistics.streamSilences.bump()
            logger.warning(
                "configured stream has delivered nothing since the capture started; Binance acknowledges subscriptions to names it never serves, so check the symbol and stream type",
                metadata: [
                    "capture": "\(capture)", "stream": "\(expected[i].name)",
                    "waited": "\(HumanDuration.formatForLog(.nanoseconds(wall - firstUpAt)))",
                ])
        }
        statistics.silentStreams.store(silent.count + expected.count { $0.reported }, ordering: .relaxed)
    }

    private func check(
        _ stream: StreamSequencer, at now: Int64, connections: [ConnectionStatistics], controls: [ConnectionControl],
        statistics: CaptureStatistics
    ) {
        let limit = stream.quietLimitNanos
        let newest = stream.lastSeenOn.max() ?? 0
        if now - newest > limit {
            if silent.insert(stream.name).inserted {
                statistics.streamSilences.bump()
                logger.warning(
                    "stream is silent on every connection",
                    metadata: [
                        "capture": "\(capture)", "stream": "\(stream.name)",
                        "quiet_for": "\(HumanDuration.formatForLog(.nanoseconds(now - newest)))",
                        "stream_stale_after": "\(HumanDuration.formatForLog(.nanoseconds(limit)))",
                    ])
            }
            return
        }
        if silent.remove(stream.name) != nil {
            logger.notice("stream delivers again", metadata: ["capture": "\(capture)", "stream": "\(stream.name)"])
        }
        for (c, control) in zip(connections, controls) where c.connected.load(ordering: .relaxed) {
            // A link gets the stream's quiet limit to deliver it before it can be blamed.
            guard now - Int64(c.linkOpenedAt.load(ordering: .relaxed)) > limit else { continue }
            let seen = c.index < stream.lastSeenOn.count ? stream.lastSeenOn[c.index] : 0
            guard newest - seen > limit, now - lastRequestAt[c.index, default: 0] > limit else { continue }
            lastRequestAt[c.index] = now
            c.staleStreamEvents.bump()
            let quiet = HumanDuration.formatForLog(.nanoseconds(limit))
            control.requestReplacement(reason: "stream \(stream.name) silent here for over \(quiet) while another connection delivers it")
            logger.warning(
                "connection misses a stream the others deliver; replacing it (make-before-break)",
                metadata: [
                    "capture": "\(capture)", "connection": "\(c.index)", "stream": "\(stream.name)",
                    "stream_stale_after": "\(quiet)",
                ])
        }
    }

    /// The configured name a merger stream answers to: the same name (combined streams), the
    /// only configured one, or the one whose symbol and event type it carries (raw streams,
    /// which the merger names `symbol@event`).
    private func configuredIndex(of name: String) -> Int? {
        let lowered = name.lowercased()
        if let i = expected.firstIndex(where: { $0.name.lowercased() == lowered }) { return i }
        if expected.count == 1 { return 0 }
        let parts = lowered.split(separator: "@", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let event = name.split(separator: "@", maxSplits: 1)[1]
        return expected.firstIndex { $0.kind.matches(symbol: parts[0], event: event) }
    }

    private static func expectations(_ settings: Settings) -> [Expected] {
        settings.streams.map { name in
            let kind = StreamKind(streamName: name)
            return Expected(name: name, kind: kind, limit: limit(kind, settings))
        }
    }

    private static func limit(_ kind: StreamKind, _ settings: Settings) -> Int64 {
        switch settings.quietLimit {
        case .none: kind.quietLimit?.nanoseconds ?? 0
        case .some(.none): 0
        case .some(.some(let limit)): limit.nanoseconds
        }
    }
}
