import Foundation
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("Recording replay")
    struct RecordingReplayTests {
        @Test(
            "as fast as possible, a combined client gets exactly the recording's frames in order",
            .timeLimit(.minutes(1))
        )
        func exactReplay() async throws {
            let lines = try fixtureLines()
            let frames = lines.compactMap { line -> String? in
                let frame = String(line[line.index(after: line.firstIndex(of: " ")!)...])
                return frame.hasPrefix(#"{"stream""#) ? frame : nil
            }
            #expect(frames.count == lines.count - 1, "the fixture holds one REST snapshot line")
            var configuration = SimulatorConfiguration(
                source: .recording(path: try fixtureRecordingPath, pace: .asFastAsPossible))
            configuration.startWhenConnected = 2
            try await withSimulator(configuration) { simulator, port in
                #expect(simulator.sourceMessageCount == frames.count)
                #expect(Set(simulator.streamNames) == ["btcusdt@bookTicker", "btcusdt@trade", "btcusdt@depth@0ms"])
                let combined = try await TestWebSocketClient.connect(
                    port: port,
                    path: "/stream?streams=btcusdt@bookTicker/btcusdt@trade/btcusdt@depth@0ms",
                    connectionIndex: 0)
                let raw = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 1)
                let combinedLog = try await combined.wait(for: "whole recording") { $0.texts.count == frames.count }
                #expect(combinedLog.texts == frames)

                let bookTickers = frames.filter { $0.hasPrefix(#"{"stream":"btcusdt@bookTicker""#) }
                let rawLog = try await raw.wait(for: "bookTicker payloads") { $0.texts.count == bookTickers.count }
                let prefix = #"{"stream":"btcusdt@bookTicker","data":"#
                #expect(rawLog.texts == bookTickers.map { String($0.dropFirst(prefix.count).dropLast()) })
                #expect(simulator.messageCount == frames.count)
                #expect(simulator.sentMessages(connection: 0) == Array(0..<frames.count))

                try await Task.sleep(for: .milliseconds(100))
                #expect(!combined.log.closed, "connections stay open and idle after the recording ends")
                #expect(combined.log.texts.count == frames.count)
                await combined.close()
                await raw.close()
            }
        }

        @Test("scaled pace compresses the recorded timeline by the factor", .timeLimit(.minutes(1)))
        func scaledPace() async throws {
            let lines = try fixtureLines().filter { $0.contains(#"{"stream""#) }
            let first = try #require(Int64(lines.first!.prefix { $0 != " " }))
            let last = try #require(Int64(lines.last!.prefix { $0 != " " }))
            let recordedSeconds = Double(last - first) / 1e9
            let factor = 10.0
            let configuration = SimulatorConfiguration(
                source: .recording(path: try fixtureRecordingPath, pace: .scaled(factor)))
            try await withSimulator(configuration) { _, port in
                let client = try await TestWebSocketClient.connect(
                    port: port, path: "/stream?streams=btcusdt@bookTicker/btcusdt@trade/btcusdt@depth@0ms")
                let log = try await client.wait(for: "whole recording", timeout: .seconds(10)) {
                    $0.texts.count == lines.count
                }
                let replaySeconds =
                    Double(log.arrivals.last!.uptimeNanoseconds - log.arrivals.first!.uptimeNanoseconds) / 1e9
                let expected = recordedSeconds / factor
                #expect(abs(replaySeconds - expected) < 0.15, "replayed in \(replaySeconds) s, expected \(expected) s")
                await client.close()
            }
        }
    }
}
