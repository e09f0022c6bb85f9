import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("Server-side disconnects")
    struct DisconnectTests {
        @Test("disconnect(.reset) aborts the client's TCP connection without a close frame", .timeLimit(.minutes(1)))
        func resetEndsConnection() async throws {
            try await withSimulator(syntheticConfiguration(rate: 1_000)) { simulator, port in
                let victim = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 3)
                let bystander = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 4)
                try await victim.wait(for: "data") { $0.texts.count >= 5 }
                simulator.disconnect(connection: 3, how: .reset)
                let log = try await victim.wait(for: "connection end") { $0.closed }
                #expect(log.closeCode == nil)
                #expect(log.errors.contains { $0.contains("reset") || $0.contains("ECONNRESET") || $0.contains("104") })
                try await eventually("one session left") { simulator.activeConnections == 1 }
                let before = bystander.log.texts.count
                try await bystander.wait(for: "bystander keeps receiving") { $0.texts.count > before + 20 }
                #expect(!bystander.log.closed)
                await bystander.close()
            }
        }

        @Test("disconnect(.close(code:)) sends that close code, then closes", .timeLimit(.minutes(1)))
        func closeWithCode() async throws {
            try await withSimulator(syntheticConfiguration(rate: 1_000)) { simulator, port in
                let client = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
                try await client.wait(for: "data") { $0.texts.count >= 5 }
                simulator.disconnect(connection: 0, how: .close(code: 1001))
                let log = try await client.wait(for: "close") { $0.closed }
                #expect(log.closeCode == 1001)
                try await eventually("session gone") { simulator.activeConnections == 0 }
                let reconnected = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
                try await reconnected.wait(for: "data after reconnect") { $0.texts.count >= 5 }
                let sent = simulator.sentMessages(connection: 0)
                #expect(sent == sent.sorted(), "one log across both TCP sessions, in order")
                #expect(sent.count >= log.texts.count + 5)
                await reconnected.close()
            }
        }
    }
}
