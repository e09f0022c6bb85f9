import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Every configured sink, as one service of the daemon's `ServiceGroup`.
///
/// Built with the daemon (before the engine starts), so each sink's cursor is read and its
/// retention hold set before any retention pass can run. `run()` starts one ``SinkRunner``
/// thread per sink and stops them at shutdown; the engine does not depend on it and never
/// waits for it. The targets' network I/O runs on one event loop of its own, never a capture
/// loop.
package final class SinkService: Service, Sendable {
    package let runners: [any SinkWorker]
    private let group: MultiThreadedEventLoopGroup?
    private let logger: Logger

    /// Builds every sink of `config`; throws for a cursor that cannot be read.
    package init(config: TickTapeConfig, holds: RetentionHolds?, logger: Logger) throws {
        self.logger = logger
        guard !config.sinks.isEmpty else {
            runners = []
            group = nil
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        var runners: [any SinkWorker] = []
        do {
            for sink in config.sinks {
                switch sink.target {
                case .postgres(let pg):
                    let target = PostgresSinkTarget(config: pg, sinkName: sink.name, eventLoop: group.next(), logger: logger)
                    runners.append(
                        try SinkRunner(
                            config: sink, captures: config.captures, dataDirectory: config.dataDirectory, target: target,
                            holds: holds, logger: logger))
                case .s3(let s3):
                    runners.append(
                        try S3ArchiveRunner(
                            config: sink, s3: s3, captures: config.captures, dataDirectory: config.dataDirectory,
                            eventLoop: group.next(), holds: holds, logger: logger))
                }
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.runners = runners
    }

    /// Every sink's figures, one per sink and capture.
    package var statistics: [SinkStatistics] { runners.flatMap(\.statistics) }

    package func start() {
        for runner in runners { runner.start() }
    }

    package func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for runner in runners { group.addTask { await runner.stop() } }
        }
        try? await group?.shutdownGracefully()
    }

    package func run() async throws {
        start()
        try? await gracefulShutdown()
        await stop()
    }

    /// `sink warehouse: lag 120 msg 0.3s` per sink and capture, or what stops it, for STATUS.
    package func statusSummary() -> String? {
        let parts = statistics.map { s -> String in
            let seconds = Double(s.lagMicros.load(ordering: .relaxed) / 100_000) / 10
            let lag = s.segmentsUploaded.load(ordering: .relaxed) > 0 || s.lagSegments.load(ordering: .relaxed) > 0
                ? "lag \(s.lagSegments.load(ordering: .relaxed)) segments \(seconds)s, \(s.segmentsUploaded.load(ordering: .relaxed)) archived"
                    + (s.conflicts.load(ordering: .relaxed) > 0 ? ", \(s.conflicts.load(ordering: .relaxed)) CONFLICTS" : "")
                : "lag \(s.lagMessages.load(ordering: .relaxed)) msg \(seconds)s"
            if !s.connected.load(ordering: .relaxed) {
                return "SINK \(s.sink) DOWN (\(s.lastError ?? "connecting")), \(lag)"
            }
            return "sink \(s.sink)/\(s.capture) \(lag)"
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

extension SinkService {
    /// `ticktape db migrate`: creates or completes the schema of every PostgreSQL sink of
    /// `config` (or only `only`), as each sink also does at start. Returns one line per sink;
    /// throws the first failure. Blocks the calling thread: for the CLI's main thread, never for
    /// async code.
    package static func migrateSchemas(config: TickTapeConfig, only: String?, logger: Logger) throws -> [String] {
        let sinks = config.sinks.filter { only == nil || $0.name == only }
        if let only, sinks.isEmpty { throw SinkError.configuration("no [[sink]] named \(only)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var lines: [String] = []
        for sink in sinks {
            switch sink.target {
            case .s3:
                lines.append("\(sink.name): an s3 sink has no schema")
            case .postgres(let pg):
                let target = PostgresSinkTarget(config: pg, sinkName: sink.name, eventLoop: group.next(), logger: logger)
                try target.connect()
                target.disconnect()
                lines.append(
                    "\(sink.name): \(pg.url) schema version \(PostgresSchema.version), \(target.schemaLayout.rawValue), tables \(pg.tables.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", "))")
            }
        }
        return lines
    }
}
