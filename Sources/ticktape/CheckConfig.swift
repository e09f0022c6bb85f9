import ArgumentParser
import TickTape

/// `ticktape check-config`: validates a configuration exactly as the daemon would, without running anything.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; exit 0 if ticktaped would accept it.")

    @Argument(help: "The TOML file to check.")
    var path: String = "/etc/ticktape/ticktape.toml"

    func run() throws {
        do {
            let config = try TickTapeConfig.load(path: path)
            print(config.describe())
        } catch {
            printError("\(error)")
            throw ExitCode(78)
        }
    }
}
