import BinanceWire
import Foundation
import NIOCore
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("Live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, pings and the rate limit")
    struct ControlMessageTests {
        @Test(
            "SUBSCRIBE ACKs known, unknown and uppercase names alike; only known ones deliver",
            .timeLimit(.minutes(1))
        )
        func subscribeAndList() async throws {
            var configuration = syntheticConfiguration(rate: 2_000, symbols: ["btcusdt", "ethusdt"])
            configuration.controlMessageLimit = nil
            try await withSimulator(configuration) { _, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/ws")
                try await client.send(text: #"{"method":"LIST_SUBSCRIPTIONS","id":1}"#)
                try await client.wait(for: "empty list") { $0.replies.count == 1 }
                #expect(client.log.replies == [#"{"result":[],"id":1}"#])
                #expect(client.log.dataTexts.isEmpty)

                try await client.send(
                    text: #"{"method":"SUBSCRIBE","params":["btcusdt@bookTicker","BTCUSDT@aggTrade","nosuch@depth"],"#
                        + #""id":2}"#
                )
                try await client.send(text: #"{"method":"LIST_SUBSCRIPTIONS","id":"three"}"#)
                let log = try await client.wait(for: "ACK, list and data") {
                    $0.replies.count == 3 && $0.dataTexts.count >= 100
                }
                #expect(log.replies[1] == #"{"result":null,"id":2}"#)
                #expect(
                    log.replies[2]
                        == #"{"result":["btcusdt@bookTicker","BTCUSDT@aggTrade","nosuch@depth"],"id":"three"}"#
                )
                // Raw /ws connection: bare payloads, and only the one real subscribed stream.
                #expect(log.dataTexts.allSatisfy { $0.hasPrefix(#"{"e":"bookTicker""#) })
                #expect(log.dataTexts.allSatisfy { $0.contains(#""s":"BTCUSDT""#) })

                try await client.send(text: #"{"method":"UNSUBSCRIBE","params":["btcusdt@bookTicker"],"id":4}"#)
                try await client.wait(for: "UNSUBSCRIBE ACK") { $0.replies.count == 4 }
                try await Task.sleep(for: .milliseconds(20))
                let countAfterUnsubscribe = client.log.dataTexts.count
                try await Task.sleep(for: .milliseconds(200))
                #expect(client.log.dataTexts.count == countAfterUnsubscribe)
                #expect(client.log.replies[3] == #"{"result":null,"id":4}"#)
                await client.close()
            }
        }

        @Test("invalid JSON and unknown methods get Binance's error wrapper", .timeLimit(.minutes(1)))
        func errorsAreWrapped() async throws {
            try await withSimulator(syntheticConfiguration(rate: 10)) { _, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker")
                try await client.send(text: "not json")
                try await client.send(text: #"{"method":"SUBSCRIBE_ALL","params":[],"id":7}"#)
                try await client.send(text: #"{"params":[],"id":8}"#)
                try await client.send(text: #"{"method":"SET_PROPERTY","params":["combined",true],"id":9}"#)
                try await client.send(text: #"{"method":"GET_PROPERTY","params":["combined"],"id":10}"#)
                let log = try await client.wait(for: "five replies") { $0.replies.count == 5 }
                let errors = log.replies.compactMap { jsonObject($0) }
                #expect((errors[0]["error"] as? [String: Any])?["code"] as? Int == 3)
                #expect(log.replies[0].hasSuffix(#","id":null}"#))
                #expect(log.replies[1].hasPrefix(#"{"error":{"code":2,"msg":"Invalid request: unknown variant"#))
                #expect(log.replies[1].hasSuffix(#""id":7}"#))
                #expect(
                    log.replies[2] == #"{"error":{"code":2,"msg":"Invalid request: missing field `method`"},"id":8}"#
                )
                #expect(log.replies[3] == #"{"result":null,"id":9}"#)
                #expect(log.replies[4] == #"{"result":true,"id":10}"#)
                await client.close()
            }
        }

        @Test(
            "more than 10 incoming messages in a second closes the connection with 1008",
            .timeLimit(.minutes(1))
        )
        func rateLimitCloses1008() async throws {
            try await withSimulator(syntheticConfiguration(rate: 10)) { simulator, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker")
                for id in 1...15 {
                    try? await client.send(text: #"{"method":"LIST_SUBSCRIPTIONS","id":\#(id)}"#)
                }
                let log = try await client.wait(for: "close") { $0.closed }
                #expect(log.closeCode == 1008)
                #expect(log.replies.count == 10)
                try await eventually("session gone") { simulator.activeConnections == 0 }
            }
        }

        @Test(
            "client pings are answered with the same payload; the server pings with a ms timestamp",
            .timeLimit(.minutes(1))
        )
        func pingsBothWays() async throws {
            var configuration = syntheticConfiguration(rate: 10)
            configuration.pingInterval = .milliseconds(100)
            try await withSimulator(configuration) { _, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker")
                try await client.send(opcode: .ping, payload: ByteBuffer(string: "hello-123"))
                let log = try await client.wait(for: "pong and two server pings") {
                    $0.pongs.count == 1 && $0.pings.count >= 2
                }
                #expect(log.pongs == ["hello-123"])
                let nowMillis = Int64(Date().timeIntervalSince1970 * 1_000)
                for ping in log.pings {
                    let millis = try #require(Int64(ping))
                    #expect(abs(nowMillis - millis) < 5_000)
                }
                await client.close()
            }
        }

        @Test("a client close frame is echoed and the socket closed", .timeLimit(.minutes(1)))
        func closeIsEchoed() async throws {
            try await withSimulator(syntheticConfiguration(rate: 10)) { simulator, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@bookTicker")
                var payload = ByteBuffer()
                payload.writeInteger(UInt16(1000))
                try await client.send(opcode: .connectionClose, payload: payload)
                let log = try await client.wait(for: "close") { $0.closed }
                #expect(log.closeCode == 1000)
                try await eventually("session gone") { simulator.activeConnections == 0 }
            }
        }
    }
}
