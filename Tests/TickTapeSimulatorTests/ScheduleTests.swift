import Foundation
import NIOCore
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("Synthetic schedule, drops and delays")
    struct ScheduleTests {
        @Test("the synthetic rate is roughly honoured and u strictly increases per symbol", .timeLimit(.minutes(1)))
        func rateAndUpdateIDs() async throws {
            let configuration = syntheticConfiguration(rate: 4_000, symbols: ["btcusdt", "ethusdt"])
            try await withSimulator(configuration) { simulator, port in
                let client = try await TestWebSocketClient.connect(
                    port: port, path: "/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker")
                try await client.wait(for: "first frame") { !$0.texts.isEmpty }
                let start = ContinuousClock.now
                let before = client.log.texts.count
                try await Task.sleep(for: .seconds(1))
                let elapsed = ContinuousClock.now - start
                let log = client.log
                let rate = Double(log.texts.count - before) / (Double(elapsed.components.attoseconds) / 1e18
                    + Double(elapsed.components.seconds))
                #expect(rate > 3_000 && rate < 5_000, "measured \(rate) msg/s")

                var lastU: [String: Int64] = [:]
                var lastE: Int64 = 0
                var increasing = true
                var steps: Set<Int64> = []
                for text in log.texts {
                    let object = try #require(jsonObject(text))
                    let stream = try #require(object["stream"] as? String)
                    let data = try #require(object["data"] as? [String: Any])
                    let u = try #require((data["u"] as? NSNumber)?.int64Value)
                    let e = try #require((data["E"] as? NSNumber)?.int64Value)
                    if let previous = lastU[stream] {
                        if u <= previous { increasing = false }
                        steps.insert(u - previous)
                    }
                    lastU[stream] = u
                    if e < lastE { increasing = false }
                    lastE = e
                    #expect(data["T"] as? NSNumber == data["E"] as? NSNumber)
                }
                #expect(increasing)
                #expect(steps.min()! >= 1 && steps.max()! <= 20)
                #expect(steps.count > 5, "jumps should vary")
                #expect(Set(lastU.keys) == ["btcusdt@bookTicker", "ethusdt@bookTicker"])
                let nowMillis = Int64(Date().timeIntervalSince1970 * 1_000)
                #expect(abs(nowMillis - lastE) < 1_000, "E is the due wall-clock time")
                #expect(simulator.messageCount >= log.texts.count)
                await client.close()
            }
        }

        @Test("drop probability 0.05 drops about 5%, and sentMessages is exactly what arrived", .timeLimit(.minutes(1)))
        func dropsAndSentLog() async throws {
            var configuration = syntheticConfiguration(rate: 20_000, count: 6_000)
            configuration.profiles = [ConnectionProfile(dropProbability: 0.05)]
            configuration.seed = 42
            try await withSimulator(configuration) { simulator, port in
                let client = try await TestWebSocketClient.connect(
                    port: port, path: "/stream?streams=btcusdt@bookTicker", connectionIndex: 0)
                try await eventually("schedule finished") { simulator.messageCount == 6_000 }
                let sent = simulator.sentMessages(connection: 0)
                let log = try await client.wait(for: "all sent frames") { $0.texts.count == sent.count }
                let dropped = Double(6_000 - sent.count) / 6_000
                #expect(dropped > 0.035 && dropped < 0.065, "dropped \(dropped)")
                #expect(sent == sent.sorted())
                #expect(log.texts == sent.map { simulator.frame(message: $0, combined: true) })
                await client.close()
            }
        }

        @Test("a constant 2 ms delay on one connection shows up against an undelayed one", .timeLimit(.minutes(1)))
        func constantDelay() async throws {
            var configuration = syntheticConfiguration(rate: 500, count: 150)
            configuration.profiles = [ConnectionProfile(), ConnectionProfile(delay: .constant(.milliseconds(2)))]
            configuration.startWhenConnected = 2
            try await withSimulator(configuration) { _, port in
                let fast = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
                let slow = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 1)
                let fastLog = try await fast.wait(for: "fast frames") { $0.texts.count == 150 }
                let slowLog = try await slow.wait(for: "slow frames") { $0.texts.count == 150 }
                #expect(fastLog.texts == slowLog.texts)
                let gaps = (0..<150).map { index in
                    Double(Int64(slowLog.arrivals[index].uptimeNanoseconds)
                        - Int64(fastLog.arrivals[index].uptimeNanoseconds)) / 1e6
                }.sorted()
                let median = gaps[gaps.count / 2]
                #expect(median > 1.6 && median < 2.8, "median extra latency \(median) ms")
                await fast.close()
                await slow.close()
            }
        }

        @Test("a connection joining later starts at the live index, not at message 0", .timeLimit(.minutes(1)))
        func lateJoinerStartsLive() async throws {
            try await withSimulator(syntheticConfiguration(rate: 1_000)) { simulator, port in
                let first = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 0)
                try await first.wait(for: "first connection data") { $0.texts.count >= 300 }
                let late = try await TestWebSocketClient.connect(
                    port: port, path: "/ws/btcusdt@bookTicker", connectionIndex: 1)
                try await late.wait(for: "late connection data") { $0.texts.count >= 10 }
                let lateFirst = try #require(simulator.sentMessages(connection: 1).first)
                #expect(lateFirst >= 250)
                #expect(simulator.sentMessages(connection: 0).first == 0)
                #expect(late.log.texts[0] == simulator.frame(message: lateFirst, combined: false))
                await first.close()
                await late.close()
            }
        }
    }
}
