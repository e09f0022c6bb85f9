import ArgumentParser
import Dispatch
import Logging
import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// `ticktaped`: the capture daemon. Runs in the foreground; systemd (or a terminal) supervises it.
@main
struct TickTapeDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticktaped",
        abstract: "Capture Binance market data over N racing WebSocket connections.",
        version: TickTapeVersion.current)

    @Option(name: .shortAndLong, help: "Path of the TOML configuration file.")
    var config: String = "/etc/ticktape/ticktape.toml"

    @Option(help: "Seconds between status lines in the log.")
    var statusInterval: Int = 10

    func run() async throws {
        let loaded: TickTapeConfig
        do {
            loaded = try TickTapeConfig.load(path: config)
        } catch {
            FileHandleStderr.write("ticktaped: configuration rejected: \(error)\n")
            throw ExitCode(78)  // EX_CONFIG: systemd's RestartPreventExitStatus can stop a crash loop on it
        }
        let level = loaded.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ticktaped")
        let engine: CaptureEngine
        do {
            engine = try CaptureEngine(config: loaded, logger: logger)
            try engine.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        let statusTask = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(max(1, statusInterval)))
                if Task.isCancelled { break }
                logger.info("status", metadata: ["summary": "\(engine.statusSummary())"])
            }
        }
        let received = await signals.next()
        logger.notice("received signal; shutting down", metadata: ["signal": "\(received)"])
        statusTask.cancel()
        await engine.stop()
    }
}

/// Delivers SIGTERM/SIGINT as async values instead of killing the process.
final class SignalWaiter: Sendable {
    private let stream: AsyncStream<Int32>
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        var continuation: AsyncStream<Int32>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let c = continuation!
        sources = signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { c.yield(sig) }
            source.resume()
            return source
        }
    }

    func next() async -> Int32 {
        for await sig in stream { return sig }
        return 0
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
