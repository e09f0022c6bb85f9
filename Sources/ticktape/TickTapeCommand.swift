import ArgumentParser
import TickTape

/// `ticktape`: the operator's tools.
@main
struct TickTapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticktape",
        abstract: "Operator tools for the ticktape capture daemon.",
        version: TickTapeVersion.current,
        subcommands: [
            CheckConfig.self, Simulate.self, Verify.self, Stats.self, Report.self, Book.self, Bars.self, Replay.self,
            Database.self,
        ])
}
