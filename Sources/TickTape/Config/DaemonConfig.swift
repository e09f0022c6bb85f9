/// The `[daemon]` table: how `ticktaped` reports to its supervisor.
package struct DaemonConfig: Sendable, Equatable {
    /// `ready_timeout`: how long startup waits for every capture to have a connection
    /// delivering before reporting ready anyway, marked degraded (default `"30s"`, 1s to 10m).
    /// systemd's `TimeoutStartSec` must be longer.
    package var readyTimeout: Duration
    /// `status_interval`: how often the status line (systemd `STATUS=`, log) is refreshed
    /// (default `"5s"`, 1s to 1h).
    package var statusInterval: Duration

    /// Builds daemon settings in code; every default is that of the file format.
    package init(readyTimeout: Duration = .seconds(30), statusInterval: Duration = .seconds(5)) {
        self.readyTimeout = readyTimeout
        self.statusInterval = statusInterval
    }

    static let keys = ["ready_timeout", "status_interval"]

    /// Reads `[daemon]`; absent keys keep their defaults.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        if case .some(.some(let d)) = try reader.duration(
            "ready_timeout", in: Duration.seconds(1)...Duration.seconds(600), example: .seconds(30))
        {
            readyTimeout = d
        }
        if case .some(.some(let d)) = try reader.duration(
            "status_interval", in: Duration.seconds(1)...Duration.seconds(3600), example: .seconds(5))
        {
            statusInterval = d
        }
    }
}
