import Logging
import Testing

@testable import TickTape

/// Defect 10 of issue #12: the journal gets a summary every `log_interval` and a line per
/// change, not one line per connection per window. Driven with a test clock.
@Suite struct TelemetrySummaryLogTests {
    static let second: Int64 = 1_000_000_000

    static func window(up: [Bool]) -> CaptureTelemetrySnapshot {
        AlarmTrackerTests.window(
            mergedP99: nil,
            up.enumerated().map { k, connected in
                var c = AlarmTrackerTests.connection(k, wins: 0, messages: 0)
                c.connected = connected
                return c
            })
    }

    func collect() -> (Logger, CollectingLogHandler.Store) {
        let store = CollectingLogHandler.Store()
        var logger = Logger(label: "summary") { _ in CollectingLogHandler(store: store) }
        logger.logLevel = .info
        return (logger, store)
    }

    @Test func threeMinutesOfOneSecondWindowsWithBinanceUnreachableLogTwelveLines() {
        let (logger, store) = collect()
        var log = TelemetrySummaryLog(interval: .seconds(60), summaries: true)
        let down = Self.window(up: [false, false, false])
        for t in 1...180 { log.observe(down, now: Int64(t) * Self.second, to: logger) }
        // Summaries at t = 60, 120 and 180 s, one merged line and one per connection each; the
        // old per-window log wrote 180 × 4 = 720.
        #expect(store.messages.count == 12, "\(store.messages.count) lines")
        #expect(store.messages.allSatisfy { $0.hasPrefix("info telemetry ") })
        #expect(store.messages.first?.contains("period_s=60.0") == true, "\(store.messages.first ?? "")")
    }

    @Test func aConnectionGoingUpOrDownIsOneLineAtOnce() {
        let (logger, store) = collect()
        var log = TelemetrySummaryLog(interval: .seconds(60), summaries: true)
        log.observe(Self.window(up: [false, false]), now: 0, to: logger)
        #expect(store.messages.isEmpty, "a connection never up has not gone down")
        log.observe(Self.window(up: [true, false]), now: Self.second, to: logger)
        log.observe(Self.window(up: [true, false]), now: 2 * Self.second, to: logger)
        log.observe(Self.window(up: [false, true]), now: 3 * Self.second, to: logger)
        #expect(store.messages.count == 2, "\(store.messages)")
        #expect(store.messages[0].hasPrefix("info telemetry: connections changed") && store.messages[0].contains("went_up=0"))
        #expect(store.messages[0].contains("up=1/2"))
        #expect(store.messages[1].hasPrefix("notice telemetry: connections changed"))
        #expect(store.messages[1].contains("went_down=0") && store.messages[1].contains("went_up=1"))
    }

    @Test func stoppingWritesTheSummaryOfTheUnfinishedPeriod() {
        let (logger, store) = collect()
        var log = TelemetrySummaryLog(interval: .seconds(60), summaries: true)
        for t in 1...10 { log.observe(Self.window(up: [false]), now: Int64(t) * Self.second, to: logger) }
        #expect(store.messages.isEmpty)
        log.finish(to: logger)
        #expect(store.messages.count == 2)
        #expect(store.messages[0].contains("period_s=10.0"), "\(store.messages[0])")
        log.finish(to: logger)
        #expect(store.messages.count == 2, "nothing new to summarise")
    }

    @Test func logSummariesOffKeepsOnlyTheChangeLines() {
        let (logger, store) = collect()
        var log = TelemetrySummaryLog(interval: .seconds(1), summaries: false)
        for t in 0..<10 { log.observe(Self.window(up: [t >= 5]), now: Int64(t) * Self.second, to: logger) }
        #expect(store.messages.count == 1)
    }

    @Test func countsArePeriodSums() {
        let (logger, store) = collect()
        var log = TelemetrySummaryLog(interval: .seconds(3), summaries: true)
        var w = AlarmTrackerTests.window(mergedP99: nil, [AlarmTrackerTests.connection(0, wins: 10, messages: 100)])
        w.messages = 10
        for t in 1...3 { log.observe(w, now: Int64(t) * Self.second, to: logger) }
        let connection = store.messages.first { $0.contains("connection=0") } ?? ""
        #expect(connection.contains("msgs=300") && connection.contains("wins=30"), "\(connection)")
        let merged = store.messages.first { $0.contains("connection=merged") } ?? ""
        #expect(merged.contains("msgs=30"), "\(merged)")
    }
}
