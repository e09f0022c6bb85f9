import ArgumentParser
import Foundation
import TickTape
import TickTapeTools

/// `ticktape report`: turns an arrivals file (or a capture file) into an SVG chart of latency
/// distributions per connection, for a person to look at.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Chart latency and lag per connection from an arrivals file (or a capture file) as SVG.",
        discussion: """
            PATH is a `<capture>-<start>.arrivals.csv` written with `[telemetry] arrivals = true` \
            (latency against E and lag behind the first arrival, per connection), or a capture file \
            (`.tape`, `.tape.open`, or a gzipped hftbacktest recording: the merged stream's latency only).
            """)

    @Argument(help: "An arrivals file or a capture file.")
    var path: String

    @Option(name: .shortAndLong, help: "Where to write the SVG (default: PATH with .svg appended).")
    var output: String?

    @Flag(help: "Also render a PNG beside the SVG with rsvg-convert (Debian: librsvg2-bin).")
    var png = false

    func run() throws {
        let table: ArrivalsTable
        do {
            table = try ArrivalsTable.read(path: path)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        let destination = output ?? path + ".svg"
        let svg = LatencyChart.svg(table, title: "ticktape report: \((path as NSString).lastPathComponent)")
        do {
            try svg.write(toFile: destination, atomically: true, encoding: .utf8)
        } catch {
            printError("cannot write \(destination): \(error)")
            throw ExitCode.failure
        }
        print("wrote \(destination) (\(table.messages) messages, \(table.series.count) series)")
        if png {
            let pngPath = destination.hasSuffix(".svg") ? String(destination.dropLast(4)) + ".png" : destination + ".png"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["rsvg-convert", "-o", pngPath, destination]
            try p.run()
            p.waitUntilExit()  // a synchronous command on the main thread, not the cooperative pool
            guard p.terminationStatus == 0 else {
                printError("rsvg-convert failed (is librsvg2-bin installed?)")
                throw ExitCode.failure
            }
            print("wrote \(pngPath)")
        }
    }
}
