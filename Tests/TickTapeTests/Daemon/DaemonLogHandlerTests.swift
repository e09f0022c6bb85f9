import Logging
import Testing

@testable import TickTapeDaemon

@Suite struct DaemonLogHandlerTests {
    @Test func metadataBecomesTicktapePrefixedJournalFields() {
        let event = LogEvent(
            level: .warning, message: "disconnected; reconnecting", metadata: nil, source: "TickTape",
            file: "TickTape/WebSocketSession.swift", function: "closed(_:)", line: 42)
        let fields = DaemonLogHandler.journalFields(
            event, ["capture": "btcusdt-book", "connection": "2", "stream": "btcusdt@bookTicker", "ring-depth": "7"],
            identifier: "ticktaped")
        #expect(fields.contains("MESSAGE=disconnected; reconnecting"))
        #expect(fields.contains("PRIORITY=4"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=ticktaped"))
        #expect(fields.contains("CODE_FILE=TickTape/WebSocketSession.swift"))
        #expect(fields.contains("CODE_LINE=42"))
        #expect(fields.contains("CODE_FUNC=closed(_:)"))
        #expect(fields.contains("TICKTAPE_CAPTURE=btcusdt-book"))
        #expect(fields.contains("TICKTAPE_CONNECTION=2"))
        #expect(fields.contains("TICKTAPE_STREAM=btcusdt@bookTicker"))
        #expect(fields.contains("TICKTAPE_RING_DEPTH=7"))
    }

    @Test func prioritiesFollowSyslog() {
        #expect(DaemonLogHandler.priority(.critical) == 2)
        #expect(DaemonLogHandler.priority(.error) == 3)
        #expect(DaemonLogHandler.priority(.notice) == 5)
        #expect(DaemonLogHandler.priority(.info) == 6)
        #expect(DaemonLogHandler.priority(.debug) == 7)
    }

    @Test func repeatedMessagesFromOneSiteAreHeldBackAndCounted() {
        let limiter = LogRateLimiter(burst: 3, window: .seconds(10))
        let t0: Int64 = 1_000_000_000_000
        var emitted = 0
        for i in 0..<10 where limiter.admit(file: "f", line: 1, now: t0 + Int64(i)).emit { emitted += 1 }
        #expect(emitted == 3)
        #expect(limiter.admit(file: "g", line: 1, now: t0).emit, "other call sites are not affected")
        let next = limiter.admit(file: "f", line: 1, now: t0 + 11_000_000_000)
        #expect(next.emit)
        #expect(next.suppressed == 7)
    }

    @Test func logLevelChangesReachExistingLoggers() {
        let control = LogLevelControl(.info)
        let handler = DaemonLogHandler(label: "x", identifier: "t", sink: .stderr, control: control, limiter: LogRateLimiter())
        let logger = Logger(label: "x", factory: { _ in handler })
        #expect(logger.logLevel == .info)
        control.set(.debug)
        #expect(logger.logLevel == .debug, "a reload changes the level of loggers already handed out")
    }
}
