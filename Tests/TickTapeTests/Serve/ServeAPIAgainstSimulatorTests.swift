import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// ticktape's JSON API over real HTTP against a real engine and two simulators
/// (``ServeAPIRig``). Every value is checked against the simulators' own books and send logs,
/// or against the recording fixture read here, never against the engine's structures.
@Suite(.serialized) struct ServeAPIAgainstSimulatorTests {
    /// The fixture's last bookTicker and trade and its 1 s bars, computed here from the file.
    struct Expected {
        var bookTicker: [String: Any] = [:]
        var trade: [String: Any] = [:]
        /// Every btcusdt trade of the fixture, by trade id.
        var trades: [Int64: [String: Any]] = [:]
        struct Bar { var open: Decimal; var high: Decimal; var low: Decimal; var close: Decimal; var volume: Decimal; var trades: Int }
        var bars: [Int64: Bar] = [:]

        init(fixture: String) throws {
            let gunzip = Process()
            gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gunzip.arguments = ["-dc", fixture]
            let pipe = Pipe()
            gunzip.standardOutput = pipe
            try gunzip.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            gunzip.waitUntilExit()
            var maxU: Int64 = 0
            var maxT: Int64 = 0
            for line in text.split(separator: "\n") {
                guard let space = line.firstIndex(of: " "),
                    let object = try JSONSerialization.jsonObject(with: Data(line[line.index(after: space)...].utf8)) as? [String: Any],
                    let stream = object["stream"] as? String, let data = object["data"] as? [String: Any]
                else { continue }
                if stream == "btcusdt@bookTicker", let u = (data["u"] as? NSNumber)?.int64Value, u > maxU {
                    maxU = u
                    bookTicker = data
                } else if stream == "btcusdt@trade" {
                    guard (data["X"] as? String ?? "MARKET") == "MARKET" else { continue }
                    let t = try #require((data["t"] as? NSNumber)?.int64Value)
                    trades[t] = data
                    if t > maxT {
                        maxT = t
                        trade = data
                    }
                    let price = try #require((data["p"] as? String).flatMap { Decimal(string: $0) })
                    let quantity = try #require((data["q"] as? String).flatMap { Decimal(string: $0) })
                    let second = try #require((data["T"] as? NSNumber)?.int64Value) / 1000 * 1000
                    if var bar = bars[second] {
                        bar.high = max(bar.high, price)
                        bar.low = min(bar.low, price)
                        bar.close = price
                        bar.volume += quantity
                        bar.trades += 1
                        bars[second] = bar
                    } else {
                        bars[second] = Bar(open: price, high: price, low: price, close: price, volume: quantity, trades: 1)
                    }
                }
            }
        }
    }

    static func levels(_ value: Any?) -> [[String]] { (value as? [[Any]] ?? []).map { $0.compactMap { $0 as? String } } }
    static func levels(_ levels: [DepthLevel]) -> [[String]] { levels.map { [$0.price, $0.quantity] } }
    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test(.timeLimit(.minutes(3))) func everyEndpointAnswersWhatTheExchangeAndTheFixtureSay() async throws {
        let rig = try await ServeAPIRig.start()
        let expected = try Expected(fixture: try ServeAPIRig.fixturePath)
        do {
            try await check(rig, expected)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private func check(_ rig: ServeAPIRig, _ expected: Expected) async throws {
        // Health: up once both books are synced and every connection delivers.
        let healthy = await eventually(timeout: .seconds(60)) { (try? rig.get("/api/v1/health").status) == 200 }
        let health = try rig.json("/api/v1/health", status: healthy ? 200 : 503)
        try #require(healthy, "health turns up: \(health)")
        #expect(health["status"] as? String == "up")
        let healthCaptures = try #require(health["captures"] as? [[String: Any]])
        #expect(healthCaptures.map { $0["name"] as? String } == ["depth", "ticks"])
        #expect(healthCaptures.allSatisfy { $0["status"] as? String == "up" && ($0["reasons"] as? [String])?.isEmpty == true })

        // Book: exactly the exchange's book at the update id the answer names, every level.
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let full = try rig.json("/api/v1/book?symbol=\(symbol)&depth=5000")
            #expect(full["symbol"] as? String == symbol && full["market"] as? String == "usdm")
            let id = try #require(Self.int(full["lastUpdateId"]))
            let truth = try #require(rig.depth.trueBook(symbol: symbol.lowercased(), atUpdateID: UInt64(id)))
            #expect(Self.levels(full["bids"]) == Self.levels(truth.bids), "\(symbol) bids at \(id)")
            #expect(Self.levels(full["asks"]) == Self.levels(truth.asks), "\(symbol) asks at \(id)")
            #expect(Self.levels(full["bids"]).count > 20, "the whole book, not the default 20 levels")
            let top = try rig.json("/api/v1/book?symbol=\(symbol.lowercased())&depth=5")
            let topID = try #require(Self.int(top["lastUpdateId"]))
            let topTruth = try #require(rig.depth.trueBook(symbol: symbol.lowercased(), atUpdateID: UInt64(topID), limit: 5))
            #expect(Self.levels(top["bids"]) == Self.levels(topTruth.bids) && Self.levels(top["asks"]) == Self.levels(topTruth.asks))
            #expect(Self.levels(top["bids"]).count == 5)
        }
        // Default depth 20.
        #expect(Self.levels(try rig.json("/api/v1/book?symbol=BTCUSDT")["asks"]).count == 20)

        // Latest: the fixture's last bookTicker and trade, digits as the exchange wrote them.
        let lastU = try #require(Self.int(expected.bookTicker["u"]))
        let lastT = try #require(Self.int(expected.trade["t"]))
        let caughtUp = await eventually(timeout: .seconds(30)) {
            guard let latest = try? rig.json("/api/v1/latest?symbol=BTCUSDT") else { return false }
            return Self.int((latest["bookTicker"] as? [String: Any])?["updateId"]) == lastU
                && Self.int((latest["trade"] as? [String: Any])?["id"]) == lastT
        }
        let latest = try rig.json("/api/v1/latest?symbol=BTCUSDT")
        try #require(caughtUp, "latest reaches the fixture's last bookTicker \(lastU) and trade \(lastT): \(latest)")
        let ticker = try #require(latest["bookTicker"] as? [String: Any])
        #expect(ticker["bidPrice"] as? String == expected.bookTicker["b"] as? String)
        #expect(ticker["bidQty"] as? String == expected.bookTicker["B"] as? String)
        #expect(ticker["askPrice"] as? String == expected.bookTicker["a"] as? String)
        #expect(ticker["askQty"] as? String == expected.bookTicker["A"] as? String)
        let trade = try #require(latest["trade"] as? [String: Any])
        #expect(trade["price"] as? String == expected.trade["p"] as? String)
        #expect(trade["qty"] as? String == expected.trade["q"] as? String)
        #expect(Self.int(trade["time"]) == Self.int(expected.trade["T"]))
        #expect(latest["markPrice"] is NSNull, "no mark price stream is captured")
        // The book top comes from the depth capture's synced book: the exchange's best levels.
        let top = try #require(latest["bookTop"] as? [String: Any])
        let topID = try #require(Self.int(top["lastUpdateId"]))
        let topTruth = try #require(rig.depth.trueBook(symbol: "btcusdt", atUpdateID: UInt64(topID), limit: 1))
        #expect([top["bidPrice"] as? String, top["bidQty"] as? String] == [topTruth.bids.first?.price, topTruth.bids.first?.quantity])
        #expect([top["askPrice"] as? String, top["askQty"] as? String] == [topTruth.asks.first?.price, topTruth.asks.first?.quantity])
        // Trades: the fixture's last 20 (and 64) trades, newest first, exactly as sent.
        let ids = expected.trades.keys.sorted(by: >)
        for limit in [20, 64] {
            let listed = try #require(try rig.json("/api/v1/trades?symbol=BTCUSDT&limit=\(limit)")["trades"] as? [[String: Any]])
            #expect(listed.compactMap { Self.int($0["id"]) } == Array(ids.prefix(limit)), "the last \(limit) trade ids, newest first")
            for item in listed {
                let truth = try #require(Self.int(item["id"]).flatMap { expected.trades[$0] })
                #expect(item["price"] as? String == truth["p"] as? String && item["qty"] as? String == truth["q"] as? String)
                #expect(Self.int(item["time"]) == Self.int(truth["T"]) && item["buyerIsMaker"] as? Bool == truth["m"] as? Bool)
            }
        }
        #expect(((try rig.json("/api/v1/trades?symbol=ETHUSDT")["trades"]) as? [Any])?.isEmpty == true, "no ETH trades are captured")
        let eth = try rig.json("/api/v1/latest?symbol=ETHUSDT")
        #expect(eth["bookTicker"] is NSNull && eth["trade"] is NSNull && eth["bookTop"] is [String: Any])

        // Bars: every closed second of the fixture's trades (the last second is still open).
        let bars = try #require(try rig.json("/api/v1/bars?symbol=BTCUSDT&interval=1s")["bars"] as? [[String: Any]])
        #expect(bars.count == expected.bars.count - 1, "\(bars.count) bars, \(expected.bars.count) seconds with trades")
        for bar in bars {
            let open = try #require(Self.int(bar["openTime"]))
            let truth = try #require(expected.bars[open], "a bar opening at \(open)")
            func decimal(_ key: String) -> Decimal? { (bar[key] as? String).flatMap { Decimal(string: $0) } }
            #expect(decimal("open") == truth.open && decimal("high") == truth.high, "bar \(open)")
            #expect(decimal("low") == truth.low && decimal("close") == truth.close, "bar \(open)")
            #expect(decimal("volume") == truth.volume && Self.int(bar["trades"]) == Int64(truth.trades), "bar \(open)")
            #expect(Self.int(bar["closeTime"]) == open + 999)
        }
        let opens = bars.compactMap { Self.int($0["openTime"]) }
        if opens.count >= 4 {
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let from = iso.string(from: Date(timeIntervalSince1970: Double(opens[1]) / 1000))
            let window = try rig.json("/api/v1/bars?symbol=BTCUSDT&interval=1s&from=\(from)&to=\(opens[3])")
            let got = (window["bars"] as? [[String: Any]] ?? []).compactMap { Self.int($0["openTime"]) }
            #expect(got == [opens[1], opens[2]], "from (ISO, inclusive) \(from) to (ms, exclusive) \(opens[3])")
        }

        // Symbols: what the configuration carries.
        let symbols = try rig.json("/api/v1/symbols")
        #expect(symbols["symbols"] as? [String] == ["BTCUSDT", "ETHUSDT"])
        let perCapture = try #require(symbols["captures"] as? [[String: Any]])
        #expect(perCapture.map { $0["name"] as? String } == ["depth", "ticks"])
        let depthSymbols = try #require(perCapture.first?["symbols"] as? [[String: Any]])
        #expect(depthSymbols.map { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT"])
        #expect(depthSymbols.allSatisfy { $0["book"] as? Bool == true })
        let tickSymbols = try #require(perCapture.last?["symbols"] as? [[String: Any]])
        #expect(tickSymbols.first?["streams"] as? [String] == ["btcusdt@bookTicker", "btcusdt@trade"])
        #expect(tickSymbols.first?["book"] as? Bool == false && tickSymbols.first?["bars"] as? [String] == ["1s"])

        // Status: counters against what each connection was sent; telemetry once a window closed.
        let windowed = await eventually(timeout: .seconds(20)) {
            let captures = (try? rig.json("/api/v1/status"))?["captures"] as? [[String: Any]] ?? []
            return captures.count == 2 && captures.allSatisfy { !($0["telemetry"] is NSNull) }
        }
        #expect(windowed, "telemetry windows reach the status")
        let status = try rig.json("/api/v1/status")
        #expect(status["sinks"] as? [Any] != nil && (status["sinks"] as? [Any])?.isEmpty == true)
        #expect(Self.int((status["relay"] as? [String: Any])?["clients"]) == 0)
        let captures = try #require(status["captures"] as? [[String: Any]])
        let depthConnections = try #require(captures.first?["connections"] as? [[String: Any]])
        #expect(depthConnections.count == 2)
        for (k, connection) in depthConnections.enumerated() {
            let received = try #require(Self.int(connection["framesReceived"]))
            #expect(received > 0 && received <= Int64(rig.depth.sentMessages(connection: k).count), "connection \(k)")
            #expect(connection["state"] as? String == "connected")
        }
        let shares = depthConnections.compactMap { ($0["winShareTotal"] as? NSNumber)?.doubleValue }
        #expect(shares.count == 2 && abs(shares.reduce(0, +) - 1) < 0.01, "win shares add up to 1: \(shares)")
        let ticksConnection = try #require((captures.last?["connections"] as? [[String: Any]])?.first)
        #expect(Self.int(ticksConnection["framesReceived"]) == Int64(rig.ticks.sentMessages(connection: 0).count))
        let written = await eventually(timeout: .seconds(10)) {
            let c = (try? rig.json("/api/v1/status"))?["captures"] as? [[String: Any]] ?? []
            return c.allSatisfy { Self.int(($0["storage"] as? [String: Any])?["bytesWritten"]) ?? 0 > 0 }
        }
        #expect(written, "both captures have written bytes")
        #expect(Self.int((status["disk"] as? [String: Any])?["freeBytes"]) ?? 0 > 0)

        // Every answer, errors included, is what docs/openapi.yaml says.
        let (code, output) = try await OpenAPIConformance.check(
            port: rig.port,
            targets: [
                "/api/v1/health", "/api/v1/status", "/api/v1/symbols", "/api/v1/latest?symbol=BTCUSDT", "/api/v1/latest?symbol=ETHUSDT",
                "/api/v1/trades?symbol=BTCUSDT", "/api/v1/trades?symbol=ETHUSDT&limit=3", "/api/v1/trades?symbol=BTCUSDT&limit=65",
                "/api/v1/book?symbol=BTCUSDT&depth=5", "/api/v1/book?symbol=ETHUSDT", "/api/v1/bars?symbol=BTCUSDT&interval=1s",
                "/api/v1/bars?symbol=BTCUSDT&interval=1s&from=2999-01-01T00:00:00Z", "/fapi/v1/depth?symbol=BTCUSDT&limit=5",
                "/api/v1/latest", "/api/v1/latest?symbol=XRPUSDT", "/api/v1/book?symbol=BTCUSDT&depth=0",
                "/api/v1/bars?symbol=BTCUSDT&interval=1h", "/api/v1/status?x=1", "/fapi/v1/depth?symbol=XRPUSDT",
            ])
        #expect(code == 0, "docs/openapi.yaml describes every answer:\n\(output)")

        // HEAD: the status line and headers, no body.
        let head = try LoopbackHTTP.get(port: rig.port, "/api/v1/health", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
    }
}
