import Foundation
import Testing
import TickTapeSimulator

/// The test's own order book: absolute quantities by price string, "0" removes; the independent rebuild the
/// simulator's truth is compared with.
struct ReferenceBook: Equatable {
    var bids: [String: String] = [:]
    var asks: [String: String] = [:]

    init(bids: [[String]], asks: [[String]]) {
        for level in bids { self.bids[level[0]] = level[1] }
        for level in asks { self.asks[level[0]] = level[1] }
    }

    init(_ depth: SimulatedDepth) {
        self.init(bids: depth.bids.map { [$0.price, $0.quantity] }, asks: depth.asks.map { [$0.price, $0.quantity] })
    }

    mutating func apply(bids: [[String]], asks: [[String]]) {
        for level in bids { self.bids[level[0]] = Double(level[1]) == 0 ? nil : level[1] }
        for level in asks { self.asks[level[0]] = Double(level[1]) == 0 ? nil : level[1] }
    }

    var isCrossed: Bool {
        guard let bid = self.bids.keys.compactMap(Double.init).max(), let ask = self.asks.keys.compactMap(Double.init).min() else {
            return false
        }
        return bid >= ask
    }
}

/// A depth event as the tests read it.
struct DepthEvent {
    var stream: String
    var first: UInt64
    var last: UInt64
    var previous: UInt64?
    var transactionTime: Int64?
    var bids: [[String]]
    var asks: [[String]]

    init?(_ text: String) {
        guard let object = jsonObject(text), let stream = object["stream"] as? String,
            let data = object["data"] as? [String: Any], data["e"] as? String == "depthUpdate",
            let first = (data["U"] as? NSNumber)?.uint64Value, let last = (data["u"] as? NSNumber)?.uint64Value,
            let bids = data["b"] as? [[String]], let asks = data["a"] as? [[String]]
        else { return nil }
        self.stream = stream
        self.first = first
        self.last = last
        self.previous = (data["pu"] as? NSNumber)?.uint64Value
        self.transactionTime = (data["T"] as? NSNumber)?.int64Value
        self.bids = bids
        self.asks = asks
    }
}

/// One HTTP response from ``rawExchange(port:request:)``, taken apart.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    init(_ text: String) throws {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = try #require(parts.first).components(separatedBy: "\r\n")
        self.status = Int(try #require(lines.first).split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { headers[pair[0].lowercased()] = pair[1] }
        }
        self.headers = headers
        self.body = parts.dropFirst().joined(separator: "\r\n\r\n")
    }
}

func restGet(port: Int, _ target: String) async throws -> RawResponse {
    try RawResponse(
        await rawExchange(port: port, request: "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
}

extension SimulatorSocketTests {
    @Suite("Synthetic order books, depth streams and REST snapshots")
    struct DepthBookTests {
        func configuration(_ book: SyntheticDepthBook) -> SimulatorConfiguration {
            SimulatorConfiguration(source: .syntheticDepth(book))
        }

        @Test("USD-M: pu chains every stream, a REST snapshot plus the diffs rebuilds the true book exactly", .timeLimit(.minutes(1)))
        func usdmChainAndRebuild() async throws {
            let book = SyntheticDepthBook(market: .usdm, symbols: ["btcusdt", "ethusdt"], rate: 2_000, levelsPerSide: 300)
            try await withSimulator(configuration(book)) { simulator, port in
                let streams = simulator.streamNames
                #expect(streams == [
                    "btcusdt@depth", "btcusdt@depth@500ms", "btcusdt@depth@100ms", "btcusdt@depth@0ms",
                    "ethusdt@depth", "ethusdt@depth@500ms", "ethusdt@depth@100ms", "ethusdt@depth@0ms",
                ])
                let client = try await TestWebSocketClient.connect(port: port, path: "/stream?streams=" + streams.joined(separator: "/"))
                try await client.wait(for: "first events") { $0.texts.count > 20 }
                let response = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
                #expect(response.status == 200)
                #expect(response.headers["x-mbx-used-weight-1m"] == "20")
                let snapshot = try #require(jsonObject(response.body))
                let lastUpdateID = try #require((snapshot["lastUpdateId"] as? NSNumber)?.uint64Value)
                #expect(snapshot["E"] != nil && snapshot["T"] != nil)
                let rebuilt = ReferenceBook(
                    bids: try #require(snapshot["bids"] as? [[String]]), asks: try #require(snapshot["asks"] as? [[String]]))
                #expect(rebuilt == ReferenceBook(try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: lastUpdateID))))

                // Wait for ~600 ms of events past the snapshot, so every aggregated speed has covered it.
                try await client.wait(for: "events past the snapshot", timeout: .seconds(10)) { log in
                    log.texts.compactMap(DepthEvent.init).filter { $0.stream == "btcusdt@depth@500ms" && $0.first > lastUpdateID }.count >= 1
                }
                let texts = client.log.texts
                let events = texts.compactMap(DepthEvent.init)
                #expect(events.count == texts.count, "every frame is a depth event")
                var lastByStream: [String: UInt64] = [:]
                var breaks = 0
                for event in events {
                    #expect(event.first <= event.last)
                    #expect(event.transactionTime != nil)
                    let previous = try #require(event.previous)
                    if let last = lastByStream[event.stream], previous != last { breaks += 1 }
                    lastByStream[event.stream] = event.last
                }
                #expect(breaks == 0)
                #expect(events.contains { $0.first > $0.previous! + 1 }, "USD-M ids skip between events")

                // Each speed, applied on the snapshot by the bridge rule, ends at the truth of its last id.
                for stream in ["btcusdt@depth@0ms", "btcusdt@depth@100ms", "btcusdt@depth"] {
                    var book = rebuilt
                    var applied: UInt64?
                    for event in events where event.stream == stream && event.last >= lastUpdateID {
                        if applied == nil { #expect(event.first <= lastUpdateID, "\(stream) bridges the snapshot") }
                        book.apply(bids: event.bids, asks: event.asks)
                        #expect(!book.isCrossed, "\(stream) crossed after u \(event.last)")
                        applied = event.last
                    }
                    let last = try #require(applied, "\(stream) has events past the snapshot")
                    #expect(book == ReferenceBook(try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: last))), "\(stream)")
                }
            }
        }

        @Test("spot: U is the previous u + 1, no pu and no T, snapshots at /api/v3/depth", .timeLimit(.minutes(1)))
        func spotRules() async throws {
            let book = SyntheticDepthBook(market: .spot, symbols: ["bnbbtc"], rate: 500, levelsPerSide: 50)
            try await withSimulator(configuration(book)) { simulator, port in
                let client = try await TestWebSocketClient.connect(port: port, path: "/stream?streams=bnbbtc@depth@100ms/bnbbtc@depth")
                try await client.wait(for: "spot events", timeout: .seconds(10)) { log in
                    log.texts.compactMap(DepthEvent.init).contains { $0.stream == "bnbbtc@depth" }
                }
                var last: [String: UInt64] = [:]
                for event in client.log.texts.compactMap(DepthEvent.init) {
                    #expect(event.previous == nil && event.transactionTime == nil)
                    if let previous = last[event.stream] { #expect(event.first == previous + 1) }
                    last[event.stream] = event.last
                    for level in event.bids + event.asks {
                        #expect(level[0].split(separator: ".").last?.count == 8 && level[1].split(separator: ".").last?.count == 8)
                    }
                }
                let response = try await restGet(port: port, "/api/v3/depth?symbol=BNBBTC&limit=100")
                #expect(response.status == 200)
                #expect(response.headers["x-mbx-used-weight-1m"] == "5")
                let snapshot = try #require(jsonObject(response.body))
                #expect(snapshot["E"] == nil)
                let id = try #require((snapshot["lastUpdateId"] as? NSNumber)?.uint64Value)
                let truth = try #require(simulator.trueBook(symbol: "bnbbtc", atUpdateID: id, limit: 100))
                #expect(ReferenceBook(bids: try #require(snapshot["bids"] as? [[String]]), asks: try #require(snapshot["asks"] as? [[String]])) == ReferenceBook(truth))
                #expect(try await restGet(port: port, "/fapi/v1/depth?symbol=BNBBTC").status == 400, "not a USD-M symbol")
                #expect(simulator.restStatistics(.spot).weightUsed == 5)
            }
        }

        @Test("a configured chain break skips one update of every symbol on every stream, logged with its ids", .timeLimit(.minutes(1)))
        func configuredBreak() async throws {
            let book = SyntheticDepthBook(
                market: .usdm, symbols: ["btcusdt", "ethusdt"], rate: 2_000, speeds: [.realtime, .ms100], levelsPerSide: 50,
                chainBreaks: [.milliseconds(300)])
            var configuration = configuration(book)
            configuration.startWhenConnected = 2
            try await withSimulator(configuration) { simulator, port in
                let path = "/stream?streams=" + simulator.streamNames.joined(separator: "/")
                let first = try await TestWebSocketClient.connect(port: port, path: path, connectionIndex: 0)
                let second = try await TestWebSocketClient.connect(port: port, path: path, connectionIndex: 1)
                for client in [first, second] {
                    try await client.wait(for: "events past the break", timeout: .seconds(10)) { log in
                        log.texts.compactMap(DepthEvent.init).filter { $0.stream.hasSuffix("@100ms") }.count >= 10
                    }
                }
                let breaks = simulator.chainBreaks
                #expect(breaks.map(\.symbol).sorted() == ["btcusdt", "ethusdt"])
                for client in [first, second] {
                    var last: [String: UInt64] = [:]
                    var seen: [String: [UInt64]] = [:]
                    for event in client.log.texts.compactMap(DepthEvent.init) {
                        if let previous = last[event.stream], event.previous != previous {
                            seen[event.stream, default: []].append(try #require(event.previous))
                        }
                        last[event.stream] = event.last
                    }
                    for chainBreak in breaks {
                        for speed in ["@depth@0ms", "@depth@100ms"] {
                            #expect(seen[chainBreak.symbol + speed] == [chainBreak.lastUpdateID], "\(chainBreak.symbol)\(speed)")
                        }
                    }
                }
            }
        }

        @Test("skip=N on one connection leaves a hole the other connection has", .timeLimit(.minutes(1)))
        func skipOnOneConnection() async throws {
            let book = SyntheticDepthBook(symbols: ["btcusdt"], rate: 1_000, speeds: [.realtime], levelsPerSide: 50)
            var configuration = configuration(book)
            configuration.startWhenConnected = 2
            try await withSimulator(configuration) { simulator, port in
                let first = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@depth@0ms", connectionIndex: 0)
                let second = try await TestWebSocketClient.connect(port: port, path: "/ws/btcusdt@depth@0ms", connectionIndex: 1)
                try await first.wait(for: "first events") { $0.texts.count >= 5 }
                simulator.inject(.skip(count: 3), connection: 0)
                try await first.wait(for: "more events") { $0.texts.count >= 100 }
                try await second.wait(for: "more events") { $0.texts.count >= 110 }
                let sent0 = simulator.sentMessages(connection: 0)
                let sent1 = simulator.sentMessages(connection: 1)
                let missing = Set(sent1.prefix(100)).subtracting(sent0)
                #expect(missing.count == 3)
                #expect(simulator.chainBreaks.isEmpty)
            }
        }

        @Test("REST: 429 with Retry-After past the budget, 418 when requests keep coming, bad parameters refused", .timeLimit(.minutes(1)))
        func restLimits() async throws {
            let book = SyntheticDepthBook(symbols: ["btcusdt"], rate: 100, levelsPerSide: 20)
            var configuration = configuration(book)
            configuration.rest = RestLimits(usdmWeightLimit: 42, window: .seconds(3_600), banDuration: .seconds(30))
            try await withSimulator(configuration) { simulator, port in
                #expect(try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000").status == 200)
                #expect(try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000").headers["x-mbx-used-weight-1m"] == "40")
                let limited = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=100")
                #expect(limited.status == 429)
                #expect(Int(limited.headers["retry-after"] ?? "") ?? 0 >= 1)
                #expect(limited.body.contains("-1003"))
                let banned = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
                #expect(banned.status == 418)
                #expect(banned.headers["retry-after"] == "30")
                #expect(try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=7").status == 400)
                #expect(try await restGet(port: port, "/fapi/v1/depth?symbol=XRPUSDT").status == 400)
                #expect(try await restGet(port: port, "/fapi/v1/depth?limit=5").status == 400)
                let statistics = simulator.restStatistics(.usdm)
                #expect(statistics.weightUsed == 40 && statistics.maximumWindowWeight == 40)
                #expect(statistics.rateLimited == 1 && statistics.banned == 1 && statistics.snapshots == 2 && statistics.requests == 7)
            }
        }

        @Test("REST faults: a delayed snapshot, an error status, a malformed body", .timeLimit(.minutes(1)))
        func restFaults() async throws {
            let book = SyntheticDepthBook(symbols: ["btcusdt"], rate: 100, levelsPerSide: 20)
            try await withSimulator(configuration(book)) { simulator, port in
                simulator.failRestRequests(.status(code: 503, retryAfter: 2))
                simulator.failRestRequests(.malformedBody)
                simulator.failRestRequests(.delay(.milliseconds(300)))
                let failed = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
                #expect(failed.status == 503 && failed.headers["retry-after"] == "2")
                let malformed = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
                #expect(malformed.status == 200 && jsonObject(malformed.body) == nil)
                let start = ContinuousClock.now
                let delayed = try await restGet(port: port, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
                #expect(ContinuousClock.now - start >= .milliseconds(300))
                #expect(delayed.status == 200 && jsonObject(delayed.body) != nil)
                #expect(try await restGet(port: port, "/other").status == 404)
            }
        }
    }
}
