import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// Bad input against the running API: a fixed list of malformed queries with the answer each
/// must get, then a seeded random walk over paths, parameter names and values (bad numbers,
/// huge values, unicode, control bytes, empty, repeated, unknown). Every answer is JSON with
/// an `"error"` naming the problem, never a 500, and the server answers health afterwards.
@Suite(.serialized) struct ServeAPIBadInputTests {
    static let cases: [(target: String, status: Int, mentions: String)] = [
        ("/api/v1/latest", 400, "'symbol'"),
        ("/api/v1/latest?symbol=", 400, "'symbol'"),
        ("/api/v1/latest?symbol=BTC%20USDT", 400, "'symbol'"),
        ("/api/v1/latest?symbol=%E2%82%BF", 400, "'symbol'"),
        ("/api/v1/latest?symbol=BTC%00USDT", 400, "'symbol'"),
        ("/api/v1/latest?symbol=\(String(repeating: "A", count: 33))", 400, "'symbol'"),
        ("/api/v1/latest?symbol=XRPUSDT", 404, "XRPUSDT"),
        ("/api/v1/latest?symbol=BTCUSDT&symbol=ETHUSDT", 400, "'symbol'"),
        ("/api/v1/latest?symbol=BTCUSDT&depth=5", 400, "'depth'"),
        ("/api/v1/latest?symbol=BTCUSDT&=x", 400, "''"),
        ("/api/v1/trades", 400, "'symbol'"),
        ("/api/v1/trades?symbol=BTCUSDT&limit=0", 400, "'limit'"),
        ("/api/v1/trades?symbol=BTCUSDT&limit=65", 400, "'limit'"),
        ("/api/v1/trades?symbol=BTCUSDT&limit=x", 400, "'limit'"),
        ("/api/v1/trades?symbol=XRPUSDT", 404, "XRPUSDT"),
        ("/api/v1/book?symbol=BTCUSDT&depth=0", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=-1", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=5001", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=99999999999999999999999999", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=1e3", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=+5", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&depth=", 400, "'depth'"),
        ("/api/v1/book?symbol=BTCUSDT&market=coinm", 400, "'market'"),
        ("/api/v1/book?symbol=BTCUSDT&market=spot", 404, "spot"),
        ("/api/v1/book?symbol=XRPUSDT", 404, "XRPUSDT"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=99999999999999999m", 400, "'interval'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1w", 400, "'interval'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=0s", 400, "'interval'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=", 400, "'interval'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1m", 400, "'interval'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1s&from=yesterday", 400, "'from'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1s&from=2024-13-01T00:00:00Z", 400, "'from'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1s&to=99999999999999999999", 400, "'to'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1s&from=2000&to=1000", 400, "'from'"),
        ("/api/v1/bars?symbol=BTCUSDT&interval=1s&capture=nope", 404, "nope"),
        ("/api/v1/bars?symbol=ETHUSDT&interval=1s", 404, "ETHUSDT"),
        ("/api/v1/health?verbose=1", 400, "'verbose'"),
        ("/api/v1/status?", 200, ""),
        ("/api/v1/nothing", 404, "/api/v1/nothing"),
        ("/api/v1/", 404, "/api/v1/"),
        ("/api/v1/status/", 404, "/api/v1/status/"),
        ("/api/v1/latest?symbol=\(String(repeating: "%41", count: 3000))", 400, "'symbol'"),
    ]

    @Test(.timeLimit(.minutes(3))) func malformedQueriesGetAClearErrorAndNeverA500() async throws {
        let rig = try await ServeAPIRig.start()
        do {
            try await check(rig)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private func check(_ rig: ServeAPIRig) async throws {
        let up = await eventually(timeout: .seconds(60)) { (try? rig.get("/api/v1/health").status) == 200 }
        try #require(up, "the rig comes up")
        for c in Self.cases {
            let reply = try rig.get(c.target)
            #expect(reply.status == c.status, "\(c.target.prefix(120)): \(reply.status) \(reply.text.prefix(200))")
            #expect(reply.headers["content-type"] == "application/json")
            let json = try #require(reply.json, "\(c.target.prefix(120)) answers JSON: \(reply.text.prefix(200))")
            if c.status != 200 {
                let message = try #require(json["error"] as? String, "\(c.target.prefix(120)) has an error message")
                #expect(message.contains(c.mentions), "\(c.target.prefix(120)): '\(message)' names \(c.mentions)")
            }
        }

        // Raw requests no client library would send.
        // Requests NIO's HTTP parser refuses are answered by NIO's own error handler: 400 with an
        // empty body (`json: false`), before any of ticktape's handlers sees them.
        let raw: [(bytes: [UInt8], status: Int, json: Bool)] = [
            (Array("GET /api/v1/l\u{e4}test HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8), 400, false),
            (Array("GARBAGE\r\n\r\n".utf8), 400, false),
            (Array("POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8), 405, true),
            (Array("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "y", count: 20_000))\r\n\r\n".utf8), 431, true),
            (Array("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello".utf8), 413, true),
        ]
        for r in raw {
            let reply = try LoopbackHTTP.send(port: rig.port, r.bytes)
            let sent = String(decoding: r.bytes.prefix(40), as: UTF8.self)
            #expect(reply.status == r.status, "\(sent): \(reply.status) \(reply.text.prefix(200))")
            if r.json {
                #expect((reply.json?["error"] as? String)?.isEmpty == false, "\(reply.status): \(reply.headers) \(reply.text.prefix(200))")
            }
        }

        // A seeded random walk: only 200 (a valid query by chance), 400, 404 or 503 (a book
        // resyncing) may come back, always JSON, and every error says what is wrong.
        var random = SystemRandomNumberGenerator.Seeded(seed: 2_113)
        let paths = ["health", "status", "symbols", "latest", "book", "bars", "bars/", "Book", "latest%20"]
        let names = ["symbol", "depth", "market", "interval", "from", "to", "capture", "limit", "SYMBOL", "", "sym bol", "%FF", "\u{1F4A5}"]
        let values = [
            "BTCUSDT", "btcusdt", "ETHUSDT", "", "0", "-0", "20", "5000", "5001", "18446744073709551616", "1.5", "NaN", "usdm",
            "spot", "1s", "1m", "60s", "2024-08-08T23:54:30Z", "2024-02-30T99:00:00Z", "1723161260000", "%", "%G1", "%00", "%0A",
            "\u{1F4A5}", "%E2%82%BF", String(repeating: "9", count: 400), "a+b", "depth", "'\"<>",
        ]
        var statuses: [Int: Int] = [:]
        for _ in 0..<300 {
            var query: [String] = []
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                let name = names.randomElement(using: &random)!
                let value = values.randomElement(using: &random)!
                query.append(Self.encoded(name) + (Bool.random(using: &random) ? "=" + Self.encoded(value) : ""))
            }
            let target = "/api/v1/\(paths.randomElement(using: &random)!)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let reply = try rig.get(target)
            statuses[reply.status, default: 0] += 1
            #expect([200, 400, 404, 503].contains(reply.status), "\(target): \(reply.status) \(reply.text.prefix(200))")
            let json = reply.json
            #expect(json != nil, "\(target) answers JSON: \(reply.text.prefix(200))")
            if reply.status != 200 { #expect((json?["error"] as? String)?.isEmpty == false, "\(target): \(reply.text.prefix(200))") }
        }
        print("serve API random walk: \(statuses.sorted { $0.key < $1.key })")
        #expect(try rig.get("/api/v1/health").status == 200, "the server still answers, healthy")
        let delivering = rig.engine.captures.allSatisfy { $0.isDelivering }
        #expect(delivering, "capture went on")
    }

    /// `text` percent-encoded except where it is already an escape or deliberately raw.
    static func encoded(_ text: String) -> String {
        if text.hasPrefix("%") { return text }
        return text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._:+"))) ?? text
    }
}

extension SystemRandomNumberGenerator {
    /// SplitMix64: a seeded generator, so a failing walk can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

/// Health follows the captures: a book resynchronising degrades its capture (and `/book` says
/// 503 with `Retry-After`), a capture whose exchange is gone is down; both are 503.
@Suite(.serialized) struct ServeAPIHealthTests {
    @Test(.timeLimit(.minutes(3))) func aResyncingBookDegradesAndALostExchangeIsDown() async throws {
        let rig = try await ServeAPIRig.start()
        do {
            try await check(rig)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private func check(_ rig: ServeAPIRig) async throws {
        let up = await eventually(timeout: .seconds(60)) { (try? rig.get("/api/v1/health").status) == 200 }
        try #require(up, "the rig comes up")
        // A real break of BTCUSDT's chain; the resync's snapshot is held back 3 s by the exchange.
        rig.depth.failRestRequests(.delay(.seconds(3)), count: 1)
        rig.depth.breakChain(symbol: "btcusdt")
        var seen: [String: Any] = [:]
        let degraded = await eventually(timeout: .seconds(20)) {
            guard let reply = try? rig.get("/api/v1/health"), reply.status == 503, let json = reply.json else { return false }
            seen = json
            let depth = (json["captures"] as? [[String: Any]])?.first { $0["name"] as? String == "depth" }
            return depth?["status"] as? String == "degraded"
                && (depth?["reasons"] as? [String])?.contains { $0.contains("BTCUSDT") && $0.contains("synchronising") } == true
        }
        #expect(degraded, "the depth capture is degraded while BTCUSDT resyncs: \(seen)")
        #expect(seen["status"] as? String == "degraded")
        let book = try rig.get("/api/v1/book?symbol=BTCUSDT")
        if book.status != 200 {
            #expect(book.status == 503 && book.headers["retry-after"] == "1", "\(book.status) \(book.text.prefix(200))")
        }
        #expect(try rig.get("/api/v1/book?symbol=ETHUSDT").status == 200, "the other book is untouched")
        let recovered = await eventually(timeout: .seconds(30)) { (try? rig.get("/api/v1/health").status) == 200 }
        #expect(recovered, "health is up again once the snapshot arrived")

        // The ticks exchange goes away: that capture is down, the whole daemon 503.
        try await rig.ticks.stop()
        let down = await eventually(timeout: .seconds(20)) {
            guard let json = try? rig.get("/api/v1/health").json else { return false }
            seen = json
            let ticks = (json["captures"] as? [[String: Any]])?.first { $0["name"] as? String == "ticks" }
            return json["status"] as? String == "down" && ticks?["status"] as? String == "down"
        }
        #expect(down, "the ticks capture is down: \(seen)")
        #expect(try rig.get("/api/v1/health").status == 503)
    }
}
