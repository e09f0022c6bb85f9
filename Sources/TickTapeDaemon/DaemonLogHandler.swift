import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// ticktape's swift-log handler: structured entries to journald when the process runs under
/// systemd, readable lines on stderr otherwise.
///
/// Journald entries carry `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`,
/// `CODE_LINE`, `CODE_FUNC`, and every metadata key as `TICKTAPE_<KEY>` (`capture` →
/// `TICKTAPE_CAPTURE`), so `journalctl -u ticktape TICKTAPE_CAPTURE=btcusdt-book` filters one
/// capture. Warnings and errors repeating from one call site are rate-limited, with the count
/// of what was held back attached to the next one that passes.
package struct DaemonLogHandler: LogHandler {
    package enum Sink: Sendable { case journald, stderr }

    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let identifier: String
    private let sink: Sink
    private let control: LogLevelControl
    private let limiter: LogRateLimiter

    package var logLevel: Logger.Level {
        get { control.level }
        set { control.set(newValue) }
    }

    package init(label: String, identifier: String, sink: Sink, control: LogLevelControl, limiter: LogRateLimiter) {
        self.label = label
        self.identifier = identifier
        self.sink = sink
        self.control = control
        self.limiter = limiter
    }

    /// `journald` when stderr is connected to the journal (systemd sets `JOURNAL_STREAM`), else `stderr`.
    package static var detectedSink: Sink {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return .stderr }
        // JOURNAL_STREAM is "<dev>:<inode>" of the stream; only trust it if it is our stderr.
        var st = stat()
        guard fstat(2, &st) == 0 else { return .stderr }
        return value == "\(st.st_dev):\(st.st_ino)" ? .journald : .stderr
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        if event.level >= .warning {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let now = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
            let verdict = limiter.admit(file: event.file, line: event.line, now: now)
            guard verdict.emit else { return }
            if verdict.suppressed > 0 { merged["suppressed"] = "\(verdict.suppressed)" }
        }
        switch sink {
        case .journald: sendToJournal(event, merged)
        case .stderr: writeLine(event, merged)
        }
    }

    /// syslog priority of a swift-log level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// `capture` → `TICKTAPE_CAPTURE`; journald field names are upper-case letters, digits and `_`.
    static func fieldName(_ key: String) -> String {
        "TICKTAPE_" + String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
    }

    /// The journal fields of one entry, in the order they are sent.
    static func journalFields(_ event: LogEvent, _ metadata: Logger.Metadata, identifier: String) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(fieldName(key))=\(value)")
        }
        return fields
    }

    private func sendToJournal(_ event: LogEvent, _ metadata: Logger.Metadata) {
        let fields = Self.journalFields(event, metadata, identifier: identifier)
        let total = fields.reduce(0) { $0 + $1.utf8.count }
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { bytes.deallocate() }
        var iov: [iovec] = []
        iov.reserveCapacity(fields.count)
        var offset = 0
        for field in fields {
            let n = field.utf8.count
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + n]).copyBytes(from: field.utf8)
            iov.append(iovec(iov_base: bytes.baseAddress! + offset, iov_len: n))
            offset += n
        }
        if sd_journal_sendv(iov, Int32(iov.count)) < 0 { writeLine(event, metadata) }
    }

    private func writeLine(_ event: LogEvent, _ metadata: Logger.Metadata) {
        var line = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(event.message)"
        if !metadata.isEmpty {
            line += " " + metadata.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line += "\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ w: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}
