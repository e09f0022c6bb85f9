import Testing

@testable import TickTape

@Suite struct AlarmTrackerTests {
    static func connection(_ k: Int, wins: Int = 10, messages: Int = 100, lagP99: Int64? = nil, ringMax: Int = 0)
        -> ConnectionTelemetrySnapshot
    {
        ConnectionTelemetrySnapshot(
            connection: k, connected: true, uptimeSeconds: 10, messages: messages, wins: wins, duplicates: 0, lateCopies: 0,
            ringOverflows: 0, winShare: nil, winShareTotal: nil,
            totals: ConnectionStatistics(index: k).snapshot, ringDepth: 0, ringDepthMax: ringMax, ringCapacity: 1000,
            pingRoundTripNanos: nil, latencyEvent: FigureSummary(), latencyTransaction: FigureSummary(),
            lag: FigureSummary(window: HistogramSummary(count: lagP99 == nil ? 0 : 1, p99: lagP99)))
    }

    static func window(mergedP99: Int64?, _ connections: [ConnectionTelemetrySnapshot]) -> CaptureTelemetrySnapshot {
        CaptureTelemetrySnapshot(
            capture: "c", windows: 1, windowSeconds: 1, windowEndedAt: 0, messages: 100, messagesPerSecond: 100,
            emittedTotal: 0, lateMessagesTotal: 0, gapsTotal: 0,
            mergedEvent: FigureSummary(window: HistogramSummary(count: 1, p99: mergedP99)),
            mergedTransaction: FigureSummary(), connections: connections, alarms: [])
    }

    @Test func mergedLatencyAlarmNeedsKWindowsInARowAndClearsOnAGoodOne() {
        var tracker = AlarmTracker()
        let config = TelemetryConfig(alarmLatencyP99: .milliseconds(10), alarmWindows: 3)
        let bad = Self.window(mergedP99: 20_000, [Self.connection(0)])
        #expect(tracker.evaluate(bad, config: config).raised.isEmpty)
        #expect(tracker.evaluate(bad, config: config).raised.isEmpty)
        let third = tracker.evaluate(bad, config: config)
        #expect(third.raised.map(\.kind) == [.mergedLatency])
        let good = tracker.evaluate(Self.window(mergedP99: 1_000, [Self.connection(0)]), config: config)
        #expect(good.cleared.map(\.kind) == [.mergedLatency])
        #expect(tracker.standing.isEmpty)
    }

    @Test func aConnectionThatNeverWinsIsFlaggedAfterTheConfiguredTime() {
        var tracker = AlarmTracker()
        let config = TelemetryConfig(alarmZeroWinsAfter: .seconds(3))
        let w = Self.window(mergedP99: nil, [Self.connection(0), Self.connection(1, wins: 0)])
        var raised: [TelemetryAlarm] = []
        for _ in 0..<3 { raised += tracker.evaluate(w, config: config).raised }
        #expect(raised.map(\.kind) == [.zeroWinShare])
        #expect(raised.first?.connection == 1)
    }

    @Test func laggingConnectionAndNearlyFullRingAreFlaggedPerConnection() {
        var tracker = AlarmTracker()
        let config = TelemetryConfig(alarmWindows: 1, alarmLagP99: .milliseconds(5), alarmRingPercent: 80)
        let w = Self.window(
            mergedP99: nil, [Self.connection(0, lagP99: 100_000), Self.connection(2, lagP99: 9_000_000, ringMax: 900)])
        let raised = tracker.evaluate(w, config: config).raised
        #expect(Set(raised.map(\.key)) == ["lag_p99/2", "ring_depth/2"])
    }
}
