import Logging
import Synchronization

/// The process-wide log level, shared by every handler so a reload changes it everywhere at once.
package final class LogLevelControl: Sendable {
    private let raw: Atomic<Int>

    package init(_ level: Logger.Level) { raw = Atomic(Self.index(level)) }

    package var level: Logger.Level {
        get { Logger.Level.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(Self.index(newValue), ordering: .relaxed) }
    }

    package func set(_ level: Logger.Level) { raw.store(Self.index(level), ordering: .relaxed) }

    private static func index(_ level: Logger.Level) -> Int { Logger.Level.allCases.firstIndex(of: level) ?? 2 }
}
