import Foundation
import Testing

@testable import TickTape

/// `ticktape replay` end to end: a capture made by the real engine from the simulator, served
/// back by a `ReplayServer` to independent Python clients (`Tests/replay/replay_client.py`),
/// checked against the capture files themselves.
@Suite(.serialized) struct ReplayAgainstCaptureTests {
    @Test(.timeLimit(.minutes(4)))
    func maxSpeedReplayIsByteIdenticalAcrossSegmentsWithGapsAnnouncedOnlyWhenAsked() async throws {
        let rig = try await ReplayRig.make()
        defer { Task { await rig.stop() } }
        #expect(rig.segmentCount >= 5, "the stretch crosses segment boundaries (\(rig.segmentCount) segments)")
        let ledger = rig.ledger
        #expect(!ledger.isEmpty, "the skipped messages left gaps in the ledger")

        // Combined, every stream, with gap notices.
        let combined = try rig.replay(
            "/stream?streams=btcusdt@bookTicker/btcusdt@depth@0ms/btcusdt@trade&speed=max&gaps=true", label: "combined")
        #expect(combined.last?.1 == "CLOSED 1000 end of replay")
        let messages = combined.dropLast().map(\.1)
        let notices = messages.filter { $0.hasPrefix(#"{"replay":"gap""#) }
        let frames = messages.filter { !$0.hasPrefix(#"{"replay":"#) }
        let expected = rig.stored(ReplayRig.allStreams)
        print("replay max combined: \(frames.count) frames of \(expected.count), \(rig.segmentCount) segments, "
            + "\(notices.count) gap notices, ledger \(ledger.count)")
        #expect(frames.count == expected.count)
        let arrivals = combined.dropLast().map(\.0)
        let seconds = Double(arrivals.last! - arrivals.first!) / 1e9
        print(String(format: "replay max to one Python client: %d messages in %.3f s = %.0f msg/s (the client's limit)",
            arrivals.count, seconds, Double(arrivals.count) / seconds))
        let identical = frames == expected.map(\.1)
        #expect(identical, "byte for byte, in file order")
        #expect(notices.count == ledger.count)
        // Each notice comes before the first line received after the gap.
        for notice in notices {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(notice.utf8)) as? [String: Any])
            let at = try #require((json["at_ns"] as? NSNumber)?.int64Value)
            let position = try #require(messages.firstIndex(of: notice))
            let framesBefore = messages[..<position].filter { !$0.hasPrefix(#"{"replay":"#) }.count
            #expect(framesBefore == expected.prefix { $0.0 < at }.count || framesBefore <= expected.prefix { $0.0 <= at }.count)
        }

        // Bare frames of one stream on /ws/<stream>; no notices without gaps=true.
        let raw = try rig.replay("/ws/btcusdt@trade?speed=max", label: "raw")
        let rawFrames = raw.dropLast().map(\.1)
        let rawIdentical = rawFrames == rig.stored(["btcusdt@trade"]).map { ReplayRig.bare($0.1) }
        #expect(rawIdentical, "raw: \(rawFrames.count) frames")
        #expect(!rawFrames.contains { $0.hasPrefix(#"{"replay":"#) })

        // SUBSCRIBE before the start on /public/ws: Binance's reply, then the stream.
        let subscribed = try rig.replay(
            "/public/ws?speed=max", sends: [#"0:{"method":"SUBSCRIBE","params":["btcusdt@depth@0ms"],"id":1}"#], label: "subscribe")
        let replied = subscribed.first?.1 == #"{"result":null,"id":1}"#
        #expect(replied, "SUBSCRIBE's reply comes first")
        let subscribedIdentical =
            subscribed.dropFirst().dropLast().map(\.1) == rig.stored(["btcusdt@depth@0ms"]).map { ReplayRig.bare($0.1) }
        #expect(subscribedIdentical, "subscribe: \(subscribed.count) messages")

        // from/to: the contiguous run from the first line received at or after `from` to the
        // last before the first one received after `to`.
        let from = expected[expected.count / 4].0
        let to = expected[expected.count * 3 / 4].0
        let ranged = try rig.replay(
            "/market/stream?streams=btcusdt@bookTicker/btcusdt@depth@0ms/btcusdt@trade&speed=max&from=\(from)&to=\(to)",
            label: "ranged")
        let start = try #require(expected.firstIndex { $0.0 >= from })
        let end = expected[start...].firstIndex { $0.0 > to } ?? expected.endIndex
        let rangedIdentical = ranged.dropLast().map(\.1) == expected[start..<end].map(\.1)
        #expect(rangedIdentical, "from/to: \(ranged.count - 1) of \(end - start)")
    }

    @Test(.timeLimit(.minutes(4)))
    func pacingFollowsTheReceiveStampsAt1xAnd10xAndSeekLandsOnTheFirstLineAtOrAfter() async throws {
        let rig = try await ReplayRig.make(pace: .scaled(2), skip: false)
        defer { Task { await rig.stop() } }
        let expected = rig.stored(ReplayRig.allStreams)
        let path = "/stream?streams=btcusdt@bookTicker/btcusdt@depth@0ms/btcusdt@trade"
        for speed in [1.0, 10.0] {
            _ = rig.server.pacing.take()
            let got = try rig.replay("\(path)&speed=\(Int(speed))", label: "pace\(Int(speed))")
            let frames = got.dropLast()
            let identical = frames.map(\.1) == expected.map(\.1)
            try #require(identical, "paced replay is byte-identical too (\(frames.count) of \(expected.count))")
            let a0 = frames[frames.startIndex].0
            let s0 = expected[0].0
            var errors: [Double] = []
            for (k, frame) in frames.enumerated() {
                let due = Double(expected[k].0 - s0) / speed
                errors.append(Double(frame.0 - a0) - due)
            }
            // The first frame's own delivery delay (the client's first read) shifts every
            // error by one constant; the release error is each message's distance from that
            // constant (the median), so the figure is the pacing's, not the first read's.
            let bias = errors.sorted()[errors.count / 2]
            let sorted = errors.map { abs($0 - bias) }.sorted()
            func q(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / 1e6 }
            let span = Double(expected.last!.0 - s0) / 1e9 / speed
            print(String(format: "replay pacing %.0fx over %.2f s, %d messages: |error| p50 %.3f ms, p99 %.3f ms, max %.3f ms (first-frame offset %.3f ms)",
                speed, span, sorted.count, q(0.5), q(0.99), sorted.last! / 1e6, bias / 1e6))
            let server = rig.server.pacing.take()
            print(String(format: "replay pacing %.0fx on the server, %d lines: lateness p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                speed, server.count, Double(server.p50) / 1e6, Double(server.p99) / 1e6, Double(server.max) / 1e6))
            #expect(server.count == expected.count)
            // A bound for a loaded shared machine, not the goal (p99 < 1 ms at 1x is stated, not asserted).
            #expect(q(0.99) < 100)
        }

        // Seek mid-stream: after the reply, the next frame is the first line received at or
        // after the time, and the rest follows in file order.
        let target = expected[expected.count * 2 / 3].0 - 1
        let seek = #"{"method":"REPLAY.SEEK","params":["\#(target)"],"id":7}"#
        let speedUp = #"{"method":"REPLAY.SPEED","params":["max"],"id":8}"#
        let sought = try rig.replay("\(path)&speed=1", sends: ["20:\(seek)", "40:\(speedUp)"], label: "seek")
        let messages = sought.dropLast().map(\.1)
        let reply = try #require(messages.firstIndex(of: #"{"result":null,"id":7}"#))
        let after = messages[(reply + 1)...].filter { !$0.hasPrefix(#"{"result""#) }
        let landing = try #require(expected.firstIndex { $0.0 >= target })
        let landed = after.first == expected[landing].1
        #expect(landed, "seek lands on the first line at or after the time")
        let rest = Array(after) == expected[landing...].map(\.1)
        #expect(rest, "after the seek: \(after.count) of \(expected.count - landing)")
        #expect(messages.contains(#"{"result":null,"id":8}"#))

        // Pause and resume: nothing is sent while paused, nothing is lost, and the pace after
        // the resume continues from the recorded instant the pause stopped at.
        let pause = #"{"method":"REPLAY.PAUSE","id":1}"#
        let resume = #"{"method":"REPLAY.RESUME","id":2}"#
        let paused = try rig.replay("\(path)&speed=1", at: ["600:\(pause)", "1600:\(resume)"], label: "pause")
        let pausedMessages = paused.dropLast()
        let pauseReply = try #require(pausedMessages.firstIndex { $0.1 == #"{"result":null,"id":1}"# })
        let resumeReply = try #require(pausedMessages.firstIndex { $0.1 == #"{"result":null,"id":2}"# })
        let between = pausedMessages[(pauseReply + 1)..<resumeReply].filter { !$0.1.hasPrefix(#"{"result""#) }
        #expect(between.count <= 2, "at most what was already on the wire arrives while paused (\(between.count))")
        let pausedFrames = pausedMessages.filter { !$0.1.hasPrefix(#"{"result""#) }
        let pausedIdentical = pausedFrames.map(\.1) == expected.map(\.1)
        #expect(pausedIdentical, "pause/resume loses nothing: \(pausedFrames.count) of \(expected.count)")
        let held = Double(pausedMessages[resumeReply].0 - pausedMessages[pauseReply].0) / 1e6
        let total = Double(pausedFrames.last!.0 - pausedFrames.first!.0) / 1e9
        let recorded = Double(expected.last!.0 - expected[0].0) / 1e9
        print(String(format: "replay pause: held %.0f ms; replay took %.2f s for %.2f s recorded", held, total, recorded))
        #expect(total >= recorded + 0.5, "the pause added to the run's length")
        #expect(abs(total - recorded - held / 1e3) < 0.25, "and only the pause: the resume continued where it stopped")
    }

    @Test(.timeLimit(.minutes(4)))
    func historyAndRangeMatchTheFilesAndRefuseBadStretchesWithTheReason() async throws {
        let rig = try await ReplayRig.make(skip: false)
        defer { Task { await rig.stop() } }
        let base = "http://127.0.0.1:\(rig.port)/api/v1"
        let trades = rig.stored(["btcusdt@trade"])
        func get(_ url: String) throws -> (Int, String) {
            let out = "\(rig.dir.path)/get-\(UInt32.random(in: 0...UInt32.max)).json"
            try rig.run("history_client.py", ["get", url, out])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
            return (try #require(json["status"] as? Int), try #require(json["body"] as? String))
        }
        let (status, body) = try get("\(base)/range?stream=btcusdt@trade")
        #expect(status == 200)
        let range = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect((range["first_ns"] as? NSNumber)?.int64Value == trades.first?.0, "the first segment is sealed")
        #expect((range["unsealed_segments"] as? Int) == 1)
        print("replay range: \(body)")

        // Every trade line, in pages of 100 joined by continuation tokens.
        let out = "\(rig.dir.path)/history.txt"
        let pages = try rig.run("history_client.py", ["pages", "\(base)/history?stream=btcusdt@trade&limit=100", out])
        let history = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        let historyIdentical = history == trades.map { "\($0.0) \($0.1)" }
        #expect(historyIdentical, "history: \(history.count) of \(trades.count)")
        #expect(Int(pages.trimmingCharacters(in: .whitespacesAndNewlines)) == (trades.count + 99) / 100)
        // A stretch by ISO time.
        let from = trades[trades.count / 2].0
        let iso = ReplayInstant.iso(from)
        let page = "\(rig.dir.path)/iso.txt"
        try rig.run("history_client.py", ["pages", "\(base)/history?stream=btcusdt@trade&from=\(iso)&limit=100000", page])
        let fromISO = try String(contentsOfFile: page, encoding: .utf8).split(separator: "\n").map(String.init)
        let isoIdentical = fromISO == trades.drop { $0.0 < from }.map { "\($0.0) \($0.1)" }
        #expect(isoIdentical, "from ISO: \(fromISO.count)")

        // Refusals name the reason.
        let bad = [
            ("\(base)/history?stream=btcusdt@trade&from=yesterday", "parameter 'from'"),
            ("\(base)/history?stream=btcusdt@trade&from=\(from)&to=\(from - 1_000_000)", "is before"),
            ("\(base)/history?stream=btcusdt@trade&from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z", "outside the data"),
            ("\(base)/history?stream=ethusdt@trade", "no sealed segment holds stream"),
            ("\(base)/history?stream=btcusdt@trade&limit=0", "parameter 'limit'"),
            ("\(base)/range", "parameter 'stream' is required"),
            ("http://127.0.0.1:\(rig.port)/ws/btcusdt@trade?speed=fast", "parameter 'speed'"),
        ]
        for (url, reason) in bad {
            let (status, body) = try get(url)
            #expect(status == 400, "\(url): \(status) \(body)")
            #expect(body.contains(reason), "\(url): \(body)")
        }
    }
}
