import Testing

@testable import TickTape

@Suite struct TelemetryConfigTests {
    static func parse(_ table: String) throws -> TickTapeConfig {
        try TickTapeConfig.parse(
            """
            data_dir = "/tmp/x"
            [telemetry]
            \(table)
            [[capture]]
            name = "a"
            url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker"
            connections = 2
            """, file: "t.toml")
    }

    @Test func theEndpointDefaultsToLoopbackAndCanBeTurnedOffOrMoved() throws {
        #expect(try Self.parse("").telemetry.listen == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(try Self.parse("").telemetry.listen?.isLoopback == true)
        #expect(try Self.parse(#"listen = "off""#).telemetry.listen == nil)
        let v6 = try Self.parse(#"listen = "[::1]:9100""#).telemetry.listen
        #expect(v6 == ListenAddress(host: "::1", port: 9100))
        #expect(v6?.isLoopback == true)
        #expect(try Self.parse(#"listen = "0.0.0.0:9464""#).telemetry.listen?.isLoopback == false)
    }

    @Test func aBadListenAddressIsRejectedWithTheLine() {
        #expect {
            _ = try Self.parse(#"listen = "9464""#)
        } throws: { error in
            "\(error)".contains("t.toml:3") && "\(error)".contains("listen must be")
        }
    }

    @Test func alarmsAndIntervalsAreRead() throws {
        let t = try Self.parse(
            """
            interval = "250ms"
            ping_interval = "never"
            arrivals = true
            alarm_latency_p99 = "20ms"
            alarm_windows = 3
            alarm_zero_wins_after = "1m"
            alarm_lag_p99 = "800us"
            alarm_ring_percent = 50
            enabled = false
            log_summaries = false
            """
        ).telemetry
        #expect(
            t
                == TelemetryConfig(
                    enabled: false, interval: .milliseconds(250), logSummaries: false, pingInterval: nil, arrivals: true,
                    alarmLatencyP99: .milliseconds(20), alarmWindows: 3, alarmZeroWinsAfter: .seconds(60),
                    alarmLagP99: .microseconds(800), alarmRingPercent: 50))
    }

    @Test func theSummaryLogIntervalDefaultsToAMinuteAndIsValidated() throws {
        #expect(try Self.parse("").telemetry.logInterval == .seconds(60))
        #expect(try Self.parse(#"log_interval = "5m""#).telemetry.logInterval == .seconds(300))
        #expect(try Self.parse("interval = \"10s\"\nlog_interval = \"10s\"").telemetry.logInterval == .seconds(10))
        for bad in [#"log_interval = "0s""#, #"log_interval = "2d""#, "log_interval = 60", #"log_interval = "soon""#] {
            #expect(throws: ConfigError.self, "\(bad)") { try Self.parse(bad) }
        }
        #expect {
            try Self.parse("interval = \"30s\"\nlog_interval = \"10s\"")
        } throws: { error in
            "\(error)".contains("log_interval") && "\(error)".contains("at least interval")
        }
    }

    @Test func anUnknownTelemetryKeyIsAnError() {
        #expect(throws: ConfigError.self) { try Self.parse("histograms = true") }
    }
}
