import ArgumentParser
import Logging
import TickTape

/// `ticktape db`: the sinks' databases.
struct Database: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the databases the [[sink]]s write to.", subcommands: [Migrate.self])

    /// `ticktape db migrate`: creates or completes the sinks' schema (the daemon also does at sink start).
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the ticktape schema in every PostgreSQL [[sink]] (idempotent).")

        @Option(help: "The daemon's configuration file.")
        var config: String = "/etc/ticktape/ticktape.toml"

        @Option(help: "Only this sink.")
        var sink: String?

        func run() throws {
            let settings: TickTapeConfig
            do {
                settings = try TickTapeConfig.load(path: config)
            } catch {
                printError("\(error)")
                throw ExitCode(78)
            }
            guard !settings.sinks.isEmpty else {
                printError("\(config): no [[sink]] is configured")
                throw ExitCode(78)
            }
            var logger = Logger(label: "ticktape.db")
            logger.logLevel = .warning
            do {
                for line in try SinkService.migrateSchemas(config: settings, only: sink, logger: logger) { print(line) }
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
