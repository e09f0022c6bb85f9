import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// The status page in a real browser: Debian's `chromium`, headless, driven over its DevTools
/// protocol by `Tests/page/pagedriver.py`, while a real engine captures from the simulators
/// (``ServeAPIRig``) on a listener with a bearer token.
///
/// The page must load with no console error, exception or failed request, draw data points in
/// every chart, and show what the API says at the same moment: connections up and a
/// connection's latency p99 against `/api/v1/status` of the same telemetry window, the book
/// ladder against the exchange's own book at the update id the page shows (the simulator's
/// ground truth, since a live book moves between any two requests) and no older than the
/// `/api/v1/book` fetched right after.
///
/// `TICKTAPE_PAGE_SCREENSHOTS=<dir>` also saves the laptop and phone screenshots there, after
/// `TICKTAPE_PAGE_SETTLE` seconds of history (`scripts/page-screenshots` writes the ones in
/// `docs/`).
@Suite(.serialized) struct StatusPageInBrowserTests {
    static let chromium = ProcessInfo.processInfo.environment["TICKTAPE_CHROMIUM"] ?? "/usr/bin/chromium"

    /// Whether chromium is installed; says why the test is skipped when it is not.
    static let chromiumInstalled: Bool = {
        let present = FileManager.default.isExecutableFile(atPath: chromium)
        if !present { print("StatusPageInBrowserTests skipped: \(chromium) is not installed (scripts/bootstrap.sh installs it)") }
        return present
    }()

    static var driverPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("page/pagedriver.py").path
    }

    @Test(.enabled(if: chromiumInstalled, "needs /usr/bin/chromium"), .timeLimit(.minutes(8)))
    func thePageShowsWhatTheAPIAndTheExchangeSay() async throws {
        let secrets = try TemporaryDirectory("ticktape-page-token")
        defer { secrets.cleanup() }
        let token = "page0123456789abcdef0123456789ab"
        try (token + "\n").write(toFile: "\(secrets.path)/token", atomically: true, encoding: .utf8)
        let rig = try await ServeAPIRig.start(serve: "listen = \"127.0.0.1:0\"\ntoken_file = \"\(secrets.path)/token\"")
        do {
            try await check(rig, token: token, scratch: secrets.path)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    private func check(_ rig: ServeAPIRig, token: String, scratch: String) async throws {
        func get(_ target: String, token: String?) throws -> LoopbackHTTP.Reply {
            let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
            return try LoopbackHTTP.send(
                port: rig.port, Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)Connection: close\r\n\r\n".utf8))
        }
        // The page itself is public (it holds no data); the API it reads is not.
        let page = try get("/", token: nil)
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        // Every asset inline: nothing is fetched from anywhere but this listener's API.
        #expect(page.text.contains("<svg class=\"chart\"") && !page.text.contains("https://"))
        #expect(!page.text.contains("src=") && !page.text.contains("rel=\"stylesheet\""))
        #expect(try get("/api/v1/status", token: nil).status == 401)
        #expect(try get("/?token=\(token)", token: nil).status == 400, "a token in the query is refused")
        // Wait for a steady capture (books synced, every connection delivering) so no request of
        // the page is answered 503 (the browser would log it as an error).
        let healthy = await eventually(timeout: .seconds(60)) { (try? get("/api/v1/health", token: token).status) == 200 }
        try #require(healthy, "the capture is healthy before the page loads")

        let out = "\(scratch)/driver.json"
        // Ready once the depth capture's 4 charts, the ticks capture's rate and the symbol's 3
        // have points (the ticks capture's short recording may be over by then: see below).
        var arguments = [
            Self.driverPath, "check", "--port", String(rig.port), "--token", token, "--timeout", "90", "--min-charts", "8",
        ]
        var limit = Duration.seconds(150)
        if let dir = ProcessInfo.processInfo.environment["TICKTAPE_PAGE_SCREENSHOTS"] {
            let settle = ProcessInfo.processInfo.environment["TICKTAPE_PAGE_SETTLE"].flatMap(Int.init) ?? 0
            arguments += ["--screenshots", dir, "--settle", String(settle)]
            limit += .seconds(settle)
        }
        let status = try await Self.run(arguments, output: out, timeout: limit)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? ""
        try #require(status == 0, "pagedriver exited \(status): \(text.suffix(2000)) \(stderr.suffix(3000))")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text.prefix(2000))")
        try #require(result["ok"] as? Bool == true, "\(text.prefix(2000))")

        let errors = result["errors"] as? [Any] ?? []
        #expect(errors.isEmpty, "\(errors.count) console errors, exceptions or failed requests, first: \(errors.prefix(5))")
        let samples = try #require(result["samples"] as? [[String: Any]])
        try #require(!samples.isEmpty)

        // Every chart has data points. Per capture: latency, lag, win share, rate; then the
        // symbol's mid, spread and sizes. The `ticks` capture replays a recording of a few seconds
        // at 20×, usually over before the page loads: its rate chart has points (zeros), its
        // latency, lag and win share have none to draw (the API's figures are null too).
        let first = try #require(samples.first?["shown"] as? [String: Any])
        let charts = first["charts"] as? [[String: Any]] ?? []
        #expect(charts.count == 2 * 4 + 3, "\(charts)")
        for chart in charts where chart["capture"] as? String != "ticks" || chart["chart"] as? String == "rate" {
            #expect((chart["points"] as? Int ?? 0) >= 2, "chart \(chart) has data points")
        }
        #expect(first["tokenFormHidden"] as? Bool == true, "the token from the fragment was accepted")
        #expect((first["href"] as? String)?.contains(token) == false, "the token is removed from the address bar")
        #expect((first["trades"] as? Int ?? 0) >= 1, "a trade is listed")

        var windowsCompared = 0
        var booksCompared = 0
        for sample in samples {
            let shown = try #require(sample["shown"] as? [String: Any])
            let status = try #require(sample["status"] as? [String: Any])
            let book = try #require(sample["book"] as? [String: Any])
            let captures = status["captures"] as? [[String: Any]] ?? []
            let connections = captures.flatMap { $0["connections"] as? [[String: Any]] ?? [] }
            let up = connections.filter { $0["state"] as? String == "connected" }.count
            #expect(shown["connectionsUp"] as? Int == up, "connections up: shown \(shown["connectionsUp"] ?? "nil"), API \(up)")
            #expect(shown["connections"] as? Int == connections.count)

            // A connection's p99, when the page and the API show the same telemetry window.
            for capture in captures {
                let name = capture["name"] as? String
                guard let telemetry = capture["telemetry"] as? [String: Any],
                    let ended = (telemetry["windowEndedAtNanos"] as? NSNumber)?.int64Value,
                    let card = (shown["captures"] as? [[String: Any]])?.first(where: { $0["name"] as? String == name }),
                    let shownEnded = (card["windowEndedMs"] as? NSNumber)?.int64Value,
                    abs(shownEnded - ended / 1_000_000) <= 1
                else { continue }
                let rows = card["connections"] as? [[String: Any]] ?? []
                for connection in capture["connections"] as? [[String: Any]] ?? [] {
                    let index = connection["index"] as? Int
                    let window = (connection["latencyEventMicros"] as? [String: Any])?["window"] as? [String: Any]
                    let p99 = (window?["p99"] as? NSNumber)?.int64Value
                    let row = rows.first { $0["index"] as? Int == index }
                    #expect((row?["p99"] as? NSNumber)?.int64Value == p99, "\(name ?? "") #\(index ?? -1) p99: shown \(row ?? [:]), API \(p99 ?? -1)")
                }
                windowsCompared += 1
            }

            // The ladder: the exchange's book at the id the page shows, and not older than the API's.
            let ladder = try #require(shown["ladder"] as? [String: Any])
            let symbol = try #require(ladder["symbol"] as? String)
            let shownID = try #require((ladder["updateId"] as? String).flatMap { UInt64($0) }, "\(ladder)")
            let apiID = try #require((book["lastUpdateId"] as? NSNumber)?.uint64Value)
            #expect(shownID <= apiID, "the page's book (\(shownID)) is not newer than the API's fetched after it (\(apiID))")
            let truth = try #require(rig.depth.trueBook(symbol: symbol.lowercased(), atUpdateID: shownID, limit: 10))
            #expect(ladder["bestBid"] as? String == truth.bids.first?.price, "best bid at \(shownID): shown \(ladder), exchange \(truth.bids.first?.description ?? "")")
            #expect(ladder["bestAsk"] as? String == truth.asks.first?.price)
            let apiBids = ServeAPIAgainstSimulatorTests.levels(book["bids"])
            let apiTruth = try #require(rig.depth.trueBook(symbol: symbol.lowercased(), atUpdateID: apiID, limit: 10))
            #expect(apiBids == ServeAPIAgainstSimulatorTests.levels(apiTruth.bids))
            if shownID == apiID { #expect(ladder["bestBid"] as? String == apiBids.first?.first) }
            booksCompared += 1
        }
        // The trade list: the API's latest trades of the shown symbol (the recording is over by
        // the last sample, so both see its last 20 trades).
        let last = try #require(samples.last?["shown"] as? [String: Any])
        let shownSymbol = try #require((last["ladder"] as? [String: Any])?["symbol"] as? String)
        let tradesReply = try get("/api/v1/trades?symbol=\(shownSymbol)&limit=20", token: token)
        let apiTrades = try #require(tradesReply.json?["trades"] as? [[String: Any]], "\(tradesReply.status) \(tradesReply.text.prefix(200))")
        #expect(apiTrades.count > 1, "the recording has trades of \(shownSymbol)")
        #expect(last["trades"] as? Int == apiTrades.count, "the page lists every one of the latest trades")
        #expect(last["newestTradeId"] as? String == (apiTrades.first?["id"] as? NSNumber).map { "\($0)" })
        #expect(windowsCompared >= 1, "at least one sample caught the page and the API on the same telemetry window")
        #expect(booksCompared == samples.count)
    }

    /// Runs `python3 arguments…` with its stdout in `output` and its stderr in `output.err`;
    /// stops it at `timeout` (SIGTERM: the driver then kills its browser).
    static func run(_ arguments: [String], output: String, timeout: Duration) async throws -> Int32 {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: output + ".err"))
        defer {
            try? file.close()
            try? errors.close()
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        p.standardOutput = file
        p.standardError = errors
        try p.run()
        let finished = await eventually(timeout: timeout) { !p.isRunning }
        if !finished {
            p.terminate()
            _ = await eventually(timeout: .seconds(10)) { !p.isRunning }
            return -1
        }
        return p.terminationStatus
    }
}
