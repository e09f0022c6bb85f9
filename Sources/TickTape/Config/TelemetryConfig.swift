/// The `[telemetry]` table: latency histograms, the Prometheus endpoint, summary logs,
/// client pings, alarms and the optional arrivals file.
package struct TelemetryConfig: Sendable, Equatable {
    /// `enabled`: record telemetry at all (default true). Off removes the per-message cost
    /// and the endpoint; the counters behind the status line remain.
    package var enabled: Bool
    /// `interval`: length of a histogram window, the cadence of `/metrics` figures and alarms
    /// (default `"1s"`, 100ms to 1m).
    package var interval: Duration
    /// `listen`: address of the Prometheus endpoint (default `"127.0.0.1:9464"`, loopback);
    /// nil (`"off"`) serves none.
    package var listen: ListenAddress?
    /// `log_summaries`: a structured summary line per connection (and one for the merged
    /// stream) every `log_interval` (default true). Lines when connections go up or down and
    /// when alarms are raised or cleared are written either way.
    package var logSummaries: Bool
    /// `log_interval`: how often the summary lines are written (default `"1m"`, 1s to 1d, at
    /// least `interval`). The per-window figures are in `/metrics`; the journal needs fewer.
    package var logInterval: Duration
    /// `ping_interval`: how often each connection sends a WebSocket ping to measure the
    /// round trip (default `"5s"`, 1s to 1h); nil (`"never"`) sends none.
    package var pingInterval: Duration?
    /// `arrivals`: write every copy's arrival time to `<capture>-<start>.arrivals.csv` beside
    /// the capture files, for `ticktape report` (default false).
    package var arrivals: Bool
    /// `alarm_latency_p99`: alarm when the merged stream's p99 latency against `E` is above
    /// this for `alarm_windows` windows in a row (default `"250ms"`).
    package var alarmLatencyP99: Duration
    /// `alarm_windows`: consecutive windows a latency or lag alarm needs (default 5, 1 to 3600).
    package var alarmWindows: Int
    /// `alarm_zero_wins_after`: alarm when a delivering connection has won no race for this
    /// long (default `"10m"`).
    package var alarmZeroWinsAfter: Duration
    /// `alarm_lag_p99`: alarm when a connection's p99 lag behind the first arrival is above
    /// this for `alarm_windows` windows in a row: a candidate for rotation (default `"5ms"`).
    package var alarmLagP99: Duration
    /// `alarm_ring_percent`: alarm when a connection's ring was this full during a window
    /// (default 80, 1 to 100).
    package var alarmRingPercent: Int

    /// Builds telemetry settings in code; every default is that of the file format.
    package init(
        enabled: Bool = true,
        interval: Duration = .seconds(1),
        listen: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 9464),
        logSummaries: Bool = true,
        logInterval: Duration = .seconds(60),
        pingInterval: Duration? = .seconds(5),
        arrivals: Bool = false,
        alarmLatencyP99: Duration = .milliseconds(250),
        alarmWindows: Int = 5,
        alarmZeroWinsAfter: Duration = .seconds(600),
        alarmLagP99: Duration = .milliseconds(5),
        alarmRingPercent: Int = 80
    ) {
        self.enabled = enabled
        self.interval = interval
        self.listen = listen
        self.logSummaries = logSummaries
        self.logInterval = logInterval
        self.pingInterval = pingInterval
        self.arrivals = arrivals
        self.alarmLatencyP99 = alarmLatencyP99
        self.alarmWindows = alarmWindows
        self.alarmZeroWinsAfter = alarmZeroWinsAfter
        self.alarmLagP99 = alarmLagP99
        self.alarmRingPercent = alarmRingPercent
    }

    static let keys = [
        "enabled", "interval", "listen", "log_summaries", "log_interval", "ping_interval", "arrivals", "alarm_latency_p99",
        "alarm_windows", "alarm_zero_wins_after", "alarm_lag_p99", "alarm_ring_percent",
    ]
    static let intervalRange = Duration.milliseconds(100)...Duration.seconds(60)
    static let logIntervalRange = Duration.seconds(1)...Duration.seconds(86_400)
    static let pingIntervalRange = Duration.seconds(1)...Duration.seconds(3600)
    static let alarmDurationRange = Duration.microseconds(1)...Duration.seconds(60)
    static let zeroWinsRange = Duration.seconds(1)...Duration.seconds(7 * 86_400)

    /// Reads `[telemetry]`; absent keys keep their defaults.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        if let b = try reader.boolean("enabled") { enabled = b }
        if case .some(.some(let d)) = try reader.duration("interval", in: Self.intervalRange, example: .seconds(1)) {
            interval = d
        }
        if let (text, value) = try reader.string("listen", expected: Self.listenExpectation) {
            if text == "off" {
                listen = nil
            } else {
                guard let address = ListenAddress.parse(text) else {
                    throw reader.invalid("listen", value, expected: Self.listenExpectation)
                }
                listen = address
            }
        }
        if let b = try reader.boolean("log_summaries") { logSummaries = b }
        if case .some(.some(let d)) = try reader.duration("log_interval", in: Self.logIntervalRange, example: .seconds(60)) {
            logInterval = d
        }
        if logInterval < interval {
            throw reader.fail(
                "log_interval (\(HumanDuration.formatForLog(logInterval))) must be at least interval (\(HumanDuration.formatForLog(interval))): a summary covers whole windows",
                line: reader.value("log_interval")?.line ?? reader.value("interval")?.line)
        }
        if let d = try reader.duration(
            "ping_interval", in: Self.pingIntervalRange, example: .seconds(5), allowNever: true)
        {
            pingInterval = d
        }
        if let b = try reader.boolean("arrivals") { arrivals = b }
        if case .some(.some(let d)) = try reader.duration(
            "alarm_latency_p99", in: Self.alarmDurationRange, example: .milliseconds(250))
        {
            alarmLatencyP99 = d
        }
        if let n = try reader.integer("alarm_windows", in: 1...3600) { alarmWindows = n }
        if case .some(.some(let d)) = try reader.duration(
            "alarm_zero_wins_after", in: Self.zeroWinsRange, example: .seconds(600))
        {
            alarmZeroWinsAfter = d
        }
        if case .some(.some(let d)) = try reader.duration(
            "alarm_lag_p99", in: Self.alarmDurationRange, example: .milliseconds(5))
        {
            alarmLagP99 = d
        }
        if let n = try reader.integer("alarm_ring_percent", in: 1...100) { alarmRingPercent = n }
    }

    static let listenExpectation =
        "\"off\" or an address with a port like \"127.0.0.1:9464\" or \"[::1]:9464\" (port 0 picks a free one)"
}
