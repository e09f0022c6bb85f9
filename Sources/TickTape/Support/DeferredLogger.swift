#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// A logger for the merger thread that never blocks it.
///
/// A log call may block on journald's socket when the journal is busy; the merger must never
/// wait on I/O (the watchdog would rightly call that a hang). Entries are queued here and
/// written by a background thread within ~50 ms. The queue is bounded: past 10 000 entries
/// new ones are counted and reported as dropped instead of growing memory.
final class DeferredLogger: Sendable {
    private struct Entry {
        var level: Logger.Level
        var message: Logger.Message
        var metadata: Logger.Metadata?
        var file: String
        var function: String
        var line: UInt
    }

    private let logger: Logger
    private let pending = Mutex<(entries: [Entry], dropped: Int)>(([], 0))
    private static let limit = 10_000

    init(_ logger: Logger) {
        self.logger = logger
        DeferredLogDrainer.shared.register(self)
    }

    var logLevel: Logger.Level { logger.logLevel }

    func log(
        _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil,
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        guard level >= logger.logLevel else { return }
        let entry = Entry(level: level, message: message(), metadata: metadata, file: file, function: function, line: line)
        pending.withLock { p in
            if p.entries.count < Self.limit { p.entries.append(entry) } else { p.dropped += 1 }
        }
    }

    func info(_ m: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.info, m(), metadata: metadata, file: file, function: function, line: line)
    }

    func notice(_ m: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.notice, m(), metadata: metadata, file: file, function: function, line: line)
    }

    func warning(_ m: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.warning, m(), metadata: metadata, file: file, function: function, line: line)
    }

    func error(_ m: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.error, m(), metadata: metadata, file: file, function: function, line: line)
    }

    func critical(_ m: @autoclosure () -> Logger.Message, metadata: Logger.Metadata? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        log(.critical, m(), metadata: metadata, file: file, function: function, line: line)
    }

    /// Writes everything queued (background thread, and at shutdown).
    func drain() {
        let (entries, dropped) = pending.withLock { p -> ([Entry], Int) in
            defer { p = ([], 0) }
            return (p.entries, p.dropped)
        }
        for e in entries {
            logger.log(level: e.level, e.message, metadata: e.metadata, file: e.file, function: e.function, line: e.line)
        }
        if dropped > 0 {
            logger.warning("log queue full; entries dropped", metadata: ["dropped": "\(dropped)"])
        }
    }
}

/// The one background thread that writes every ``DeferredLogger``'s queue.
final class DeferredLogDrainer: Sendable {
    static let shared = DeferredLogDrainer()

    private struct WeakLogger { weak var logger: DeferredLogger? }
    private let loggers = Mutex<[WeakLogger]>([])
    private let started = Atomic<Bool>(false)

    func register(_ logger: DeferredLogger) {
        loggers.withLock { list in
            list.removeAll { $0.logger == nil }
            list.append(WeakLogger(logger: logger))
        }
        if started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            _ = PinnedThread.start(name: "tt-log") { [self] in
                while true {
                    usleep(50_000)
                    drainAll()
                }
            }
        }
    }

    /// Writes every queue now.
    func drainAll() {
        let live = loggers.withLock { $0.compactMap(\.logger) }
        for logger in live { logger.drain() }
    }
}
