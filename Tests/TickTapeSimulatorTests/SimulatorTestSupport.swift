import Foundation
import Testing
import TickTapeSimulator

/// Socket tests share one parent suite so they run one at a time: several of them measure timing, which a
/// 2-core machine cannot do reliably while other tests saturate it.
@Suite("Exchange simulator over real sockets", .serialized)
struct SimulatorSocketTests {}

/// Starts a simulator, runs `body` with it and its port, and always stops it.
func withSimulator<T>(
    _ configuration: SimulatorConfiguration,
    _ body: (ExchangeSimulator, Int) async throws -> T
) async throws -> T {
    let simulator = try ExchangeSimulator(configuration: configuration)
    let port = try await simulator.start()
    do {
        let result = try await body(simulator, port)
        try await simulator.stop()
        return result
    } catch {
        try? await simulator.stop()
        throw error
    }
}

/// Polls `condition` every 5 ms for up to `timeout`.
func eventually(
    _ description: String,
    timeout: Duration = .seconds(5),
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { throw WaitTimedOut(description: "timed out waiting for \(description)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Parses a JSON object frame.
func jsonObject(_ text: String) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
}

/// The `data` object of a combined frame, or the frame itself for a raw one.
func payload(_ text: String) -> [String: Any]? {
    guard let object = jsonObject(text) else { return nil }
    return object["data"] as? [String: Any] ?? object
}

/// `u` of a bookTicker frame (raw or combined).
func updateID(_ text: String) -> Int64? {
    (payload(text)?["u"] as? NSNumber)?.int64Value
}

/// The bundled first 2000 lines of the hftbacktest USD-M recording.
var fixtureRecordingPath: String {
    get throws {
        let url = try #require(
            Bundle.module.url(forResource: "usdm_btcusdt_head", withExtension: "gz", subdirectory: "Fixtures")
        )
        return url.path
    }
}

/// The fixture's lines, decompressed independently of the simulator (with `gzip -dc`).
func fixtureLines() throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", try fixtureRecordingPath]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// A synthetic configuration with the given rate and count, on an ephemeral port.
func syntheticConfiguration(
    rate: Double,
    count: Int? = nil,
    symbols: [String] = ["btcusdt"]
) -> SimulatorConfiguration {
    SimulatorConfiguration(source: .synthetic(SyntheticBookTicker(symbols: symbols, rate: rate, count: count)))
}
