import Testing

@testable import TickTape

/// `stream_stale_after` and the per-kind quiet limits behind its default.
@Suite struct ConfigStreamStaleAfterTests {
    private func capture(_ line: String) throws(ConfigError) -> CaptureConfig {
        let text = """
            data_dir = "/data"

            [[capture]]
            name = "book"
            url = "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker/btcusdt@depth@100ms"
            connections = 2
            \(line)
            """
        return try TickTapeConfig.parse(text, file: "ticktape.toml").captures[0]
    }

    @Test func absentMeansPerKindDefaultsNeverMeansOffADurationAppliesToAll() throws {
        #expect(try capture("").streamStaleAfter == nil)
        #expect(try capture(#"stream_stale_after = "never""#).streamStaleAfter == .some(nil))
        #expect(try capture(#"stream_stale_after = "45s""#).streamStaleAfter == .some(.seconds(45)))
    }

    @Test func anOutOfRangeOrMistypedValueNamesTheKeyAndLine() {
        for bad in [#"stream_stale_after = "10ms""#, #"stream_stale_after = 30"#, #"stream_stale_after = "off""#] {
            #expect(throws: ConfigError.self) { try capture(bad) }
            do {
                _ = try capture(bad)
            } catch {
                #expect(error.description.contains("stream_stale_after"), "\(error.description)")
                #expect(error.description.contains(":7"), "\(error.description)")
            }
        }
    }

    @Test func perKindQuietLimitsFollowEachStreamsRhythm() {
        let limits: [(String, Duration?)] = [
            ("btcusdt@bookTicker", .seconds(30)), ("btcusdt@depth@100ms", .seconds(5)), ("btcusdt@depth", .seconds(10)),
            ("btcusdt@depth20@500ms", .seconds(5)), ("btcusdt@aggTrade", .seconds(120)), ("btcusdt@markPrice", .seconds(15)),
            ("btcusdt@markPrice@1s", .seconds(10)), ("btcusdt@kline_1m", .seconds(15)), ("btcusdt@forceOrder", nil),
            ("!bookTicker", .seconds(30)), ("btcusdt@somethingNew", .seconds(60)),
        ]
        for (name, limit) in limits {
            #expect(StreamKind(streamName: name).quietLimit == limit, "\(name)")
        }
        let depth = StreamKind(streamName: "BTCUSDT@depth@100ms")
        #expect(depth.symbol == "btcusdt" && depth.matches(symbol: "btcusdt", event: "depthUpdate"))
        #expect(!depth.matches(symbol: "ethusdt", event: "depthUpdate"))
    }
}
