import Foundation
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    /// The first-send log that `ticktape simulate --send-log` writes for the end-to-end benchmark.
    @Suite("First-send log")
    struct SendLogTests {
        private static func unixNanos() -> Int64 {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
        }

        private struct SendLog {
            var ids: [UInt64] = []
            var due: [Int64] = []
            var first: [Int64] = []
            var copies: [UInt8] = []

            init(path: String) throws {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                try #require(bytes.count >= 16)
                #expect(Array(bytes[0..<8]) == Array("TTSEND01".utf8))
                func u64(_ offset: Int) -> UInt64 {
                    (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
                }
                let count = Int(u64(8))
                try #require(bytes.count == 16 + count * 25, "header count \(count) must match the file size")
                for index in 0..<count {
                    ids.append(u64(16 + index * 8))
                    due.append(Int64(bitPattern: u64(16 + count * 8 + index * 8)))
                    first.append(Int64(bitPattern: u64(16 + count * 16 + index * 8)))
                    copies.append(bytes[16 + count * 24 + index])
                }
            }
        }

        @Test("one entry per message: its id, due time, first send time (nondecreasing) and copies", .timeLimit(.minutes(1)))
        func entryPerSentMessage() async throws {
            let messages = 300
            var configuration = syntheticConfiguration(rate: 2_000, count: messages)
            configuration.startWhenConnected = 2
            configuration.recordsFirstSendTimes = true
            let simulator = try ExchangeSimulator(configuration: configuration)
            let port = try await simulator.start()
            let before = Self.unixNanos()
            let a = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
            let b = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 1)
            let received = try await a.wait(for: "all messages on connection 0") { $0.dataTexts.count == messages }
            try await b.wait(for: "all messages on connection 1") { $0.dataTexts.count == messages }
            let after = Self.unixNanos()
            await a.close()
            await b.close()
            try await simulator.stop()

            let path = FileManager.default.temporaryDirectory.path + "/ticktape-send-log-\(UInt64.random(in: 0...UInt64.max))"
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try simulator.writeSendLog(to: path) == messages)
            let log = try SendLog(path: path)

            #expect(log.ids.count == messages)
            #expect(log.ids.map { Int64(bitPattern: $0) } == received.dataTexts.map { updateID($0) ?? -1 })
            #expect(log.copies.allSatisfy { $0 == 2 }, "both connections sent every message once")
            #expect(log.first.allSatisfy { $0 >= before && $0 <= after }, "first sends fall between connect and last receipt")
            #expect(zip(log.first, log.first.dropFirst()).allSatisfy { $0 <= $1 }, "first send times never decrease")
            // Due times step by 1/rate = 500 µs from the schedule's time base; nothing is sent before it is due.
            #expect(zip(log.due, log.due.dropFirst()).allSatisfy { abs(($1 - $0) - 500_000) <= 1 })
            #expect(zip(log.first, log.due).allSatisfy { $0 + 1_000_000 >= $1 })
        }

        @Test("asking for the log of a simulator that does not record it is an error")
        func notRecorded() async throws {
            let simulator = try ExchangeSimulator(configuration: syntheticConfiguration(rate: 100, count: 1))
            #expect(throws: SimulatorError.sendLogNotRecorded) {
                try simulator.writeSendLog(to: "/nonexistent/never-written")
            }
        }
    }
}
