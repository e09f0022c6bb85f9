import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("URL forms and framing")
    struct FramingTests {
        @Test("raw /ws/ sends bare payloads, combined /stream wraps them in {stream,data}", .timeLimit(.minutes(1)))
        func rawAndCombinedFraming() async throws {
            var configuration = syntheticConfiguration(rate: 2_000, count: 40)
            configuration.startWhenConnected = 2
            try await withSimulator(configuration) { simulator, port in
                let raw = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
                let combined = try await TestWebSocketClient.connect(
                    port: port, path: "/stream?streams=btcusdt@bookTicker", connectionIndex: 1)
                let rawLog = try await raw.wait(for: "40 raw frames") { $0.texts.count == 40 }
                let combinedLog = try await combined.wait(for: "40 combined frames") { $0.texts.count == 40 }

                #expect(rawLog.texts.first?.hasPrefix(#"{"e":"bookTicker","u":"#) == true)
                #expect(rawLog.texts.first?.contains(#""s":"BTCUSDT""#) == true)
                for index in 0..<40 {
                    #expect(rawLog.texts[index] == simulator.frame(message: index, combined: false))
                    #expect(combinedLog.texts[index] == simulator.frame(message: index, combined: true))
                    #expect(
                        combinedLog.texts[index]
                            == #"{"stream":"btcusdt@bookTicker","data":"# + rawLog.texts[index] + "}"
                    )
                }
                #expect(simulator.sentMessages(connection: 0) == Array(0..<40))
                #expect(simulator.sentMessages(connection: 1) == Array(0..<40))
                #expect(simulator.messageCount == 40)
                await raw.close()
                await combined.close()
            }
        }

        @Test("USD-M routed prefixes /public and /market serve the same streams", .timeLimit(.minutes(1)))
        func routedPrefixes() async throws {
            try await withSimulator(syntheticConfiguration(rate: 1_000)) { _, port in
                let publicRaw = try await TestWebSocketClient.connect(port: port, path: "/public/ws/btcusdt@bookTicker")
                let marketCombined = try await TestWebSocketClient.connect(
                    port: port, path: "/market/stream?streams=btcusdt@bookTicker")
                let rawLog = try await publicRaw.wait(for: "raw data") { $0.texts.count >= 3 }
                let combinedLog = try await marketCombined.wait(for: "combined data") { $0.texts.count >= 3 }
                #expect(rawLog.texts.allSatisfy { $0.hasPrefix(#"{"e":"bookTicker""#) })
                #expect(combinedLog.texts.allSatisfy { $0.hasPrefix(#"{"stream":"btcusdt@bookTicker","data":{"#) })
                await publicRaw.close()
                await marketCombined.close()
            }
        }

        @Test("a path that is not a market-stream route gets HTTP 404 and no upgrade", .timeLimit(.minutes(1)))
        func unknownPathIsNotFound() async throws {
            try await withSimulator(syntheticConfiguration(rate: 1_000)) { simulator, port in
                let request =
                    "GET /api/v3/depth HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                let response = try await rawExchange(port: port, request: request)
                #expect(response.hasPrefix("HTTP/1.1 404"))
                await #expect(throws: UpgradeRefused.self) {
                    _ = try await TestWebSocketClient.connect(port: port, path: "/wss/btcusdt@bookTicker")
                }
                #expect(simulator.activeConnections == 0)
            }
        }

        @Test("uppercase stream names are matched case-sensitively and deliver nothing", .timeLimit(.minutes(1)))
        func uppercaseStreamDeliversNothing() async throws {
            try await withSimulator(syntheticConfiguration(rate: 2_000)) { simulator, port in
                let upper = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/BTCUSDT@bookTicker", connectionIndex: 0)
                let lower = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 1)
                try await lower.wait(for: "lowercase data") { $0.texts.count >= 50 }
                #expect(upper.log.texts.isEmpty)
                #expect(simulator.sentMessages(connection: 0).isEmpty)
                #expect(simulator.activeConnections == 2)
                await upper.close()
                await lower.close()
            }
        }
    }
}
