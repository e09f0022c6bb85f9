import CTimex

#if canImport(Glibc)
import Glibc
#endif

/// Whether the host clock was disciplined (NTP/PTP) when a segment was written, read with
/// `adjtimex(2)` in read-only mode.
///
/// Receive stamps are `CLOCK_REALTIME`; a researcher comparing them with the exchange's
/// event times needs to know whether that clock was synchronised and how far off the kernel
/// thinks it may be. systemd's `ProtectClock=yes` makes even the read-only call fail with
/// EPERM (systemd issue 26413); then the state says "unavailable" with the reason, and the
/// presence of timesyncd's `/run/systemd/timesync/synchronized` flag is reported instead.
package struct ClockSyncState: Sendable, Equatable {
    /// When it was sampled (`CLOCK_REALTIME` ns).
    package var sampledAt: Int64
    /// Synchronised per the kernel (`STA_UNSYNC` clear and not `TIME_ERROR`); nil if unknown.
    package var synced: Bool?
    /// The kernel's estimated and maximum error, in microseconds (nil if unknown).
    package var estimatedErrorMicros: Int64?
    package var maximumErrorMicros: Int64?
    /// Where the answer came from: `adjtimex`, `timesyncd` or `unavailable`.
    package var source: String
    /// Why `adjtimex` could not be read, if it could not.
    package var problem: String?

    package init(
        sampledAt: Int64, synced: Bool?, estimatedErrorMicros: Int64?, maximumErrorMicros: Int64?, source: String,
        problem: String? = nil
    ) {
        self.sampledAt = sampledAt
        self.synced = synced
        self.estimatedErrorMicros = estimatedErrorMicros
        self.maximumErrorMicros = maximumErrorMicros
        self.source = source
        self.problem = problem
    }

    /// Reads the state now (one syscall; called at segment open and close, on the writer thread).
    package static func sample() -> ClockSyncState {
        let now = WallClock.realtimeNanos()
        var t = timex()
        t.modes = 0
        let rc = adjtimex(&t)
        if rc >= 0 {
            let unsynced = (t.status & Int32(STA_UNSYNC)) != 0 || rc == TIME_ERROR
            return ClockSyncState(
                sampledAt: now, synced: !unsynced, estimatedErrorMicros: Int64(t.esterror),
                maximumErrorMicros: Int64(t.maxerror), source: "adjtimex")
        }
        let problem = "adjtimex: " + String(cString: strerror(errno))
        if access("/run/systemd/timesync/synchronized", F_OK) == 0 {
            return ClockSyncState(
                sampledAt: now, synced: true, estimatedErrorMicros: nil, maximumErrorMicros: nil, source: "timesyncd",
                problem: problem)
        }
        return ClockSyncState(
            sampledAt: now, synced: nil, estimatedErrorMicros: nil, maximumErrorMicros: nil, source: "unavailable",
            problem: problem)
    }

    /// The manifest's JSON object.
    var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("sampled_at_ns", .int(sampledAt)),
            ("synced", synced.map(JSONValue.bool) ?? .null),
            ("estimated_error_us", estimatedErrorMicros.map(JSONValue.int) ?? .null),
            ("maximum_error_us", maximumErrorMicros.map(JSONValue.int) ?? .null),
            ("source", .string(source)),
        ]
        if let problem { fields.append(("problem", .string(problem))) }
        return .object(fields)
    }

    init(json: JSONValue) throws(ManifestError) {
        sampledAt = try json.require("sampled_at_ns").asInt()
        synced = json["synced"]?.boolValue
        estimatedErrorMicros = json["estimated_error_us"]?.intValue
        maximumErrorMicros = json["maximum_error_us"]?.intValue
        source = json["source"]?.stringValue ?? "unknown"
        problem = json["problem"]?.stringValue
    }
}
