import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Talks systemd's notify protocol (`sd_notify`): readiness, status, watchdog, reload, stop.
///
/// Outside systemd (no `$NOTIFY_SOCKET`) every call is a cheap no-op, so the daemon behaves
/// the same in a terminal.
package struct SystemdNotifier: Sendable {
    package init() {}

    /// Whether a supervisor listens.
    package var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends newline-separated `KEY=value` assignments.
    @discardableResult
    package func notify(_ assignments: String) -> Bool {
        sd_notify(0, assignments) > 0
    }

    package func ready(status: String) { notify("READY=1\nSTATUS=\(Self.oneLine(status))") }
    package func status(_ text: String) { notify("STATUS=\(Self.oneLine(text))") }
    package func watchdog() { notify("WATCHDOG=1") }
    package func stopping() { notify("STOPPING=1\nSTATUS=stopping: closing connections, draining, flushing") }

    /// `RELOADING=1` with the `MONOTONIC_USEC` systemd ≥ 253 requires (harmless on 252).
    package func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        notify("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=reloading configuration")
    }

    /// The watchdog period systemd expects pings within, if it enabled one for this process.
    package var watchdogTimeout: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" ? " " : $0 })
    }
}
