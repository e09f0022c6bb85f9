import ArgumentParser
import Logging
import TickTape
import TickTapeDaemon
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `ticktaped`: the capture daemon. Runs in the foreground under systemd (`Type=notify`) or a terminal.
@main
struct TickTapeDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticktaped",
        abstract: "Capture Binance market data over N racing WebSocket connections.",
        version: TickTapeVersion.current)

    @Option(name: .shortAndLong, help: "Path of the TOML configuration file.")
    var config: String = "/etc/ticktape/ticktape.toml"

    func run() async throws {
        ProcessMemory.tune()
        // From here on SIGTERM/SIGINT/SIGHUP are events, never the default action.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        let loaded: TickTapeConfig
        do {
            loaded = try TickTapeConfig.load(path: config)
        } catch {
            let line = "ticktaped: configuration rejected: \(error)\n"
            line.withCString { _ = write(2, $0, strlen($0)) }
            throw ExitCode(78)  // EX_CONFIG: the unit's RestartPreventExitStatus=78 stops a crash loop
        }
        let level = LogLevelControl(loaded.logLevel)
        let limiter = LogRateLimiter()
        let sink = DaemonLogHandler.detectedSink
        LoggingSystem.bootstrap { label in
            DaemonLogHandler(label: label, identifier: "ticktaped", sink: sink, control: level, limiter: limiter)
        }
        let logger = Logger(label: "ticktaped")
        let daemon: Daemon
        do {
            daemon = try Daemon(
                config: loaded, configPath: config, logLevel: level, logger: logger,
                faults: FaultSwitches.fromEnvironment(logger: logger))
            try await daemon.run(signals: signals)
        } catch {
            logger.critical("cannot run", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.notice("stopped cleanly")
    }
}
