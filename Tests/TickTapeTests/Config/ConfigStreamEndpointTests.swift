import Testing

@testable import TickTape

@Suite struct ConfigStreamEndpointTests {
    private func rejection(_ url: String) -> String? {
        do {
            _ = try StreamEndpoint.parse(url)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func rawUSDMPublicForm() throws {
        let endpoint = try StreamEndpoint.parse("wss://fstream.binance.com/public/ws/btcusdt@bookTicker")
        #expect(endpoint.useTLS)
        #expect(endpoint.host == "fstream.binance.com")
        #expect(endpoint.port == 443)
        #expect(endpoint.requestURI == "/public/ws/btcusdt@bookTicker")
        #expect(endpoint.route == .usdmPublic)
        #expect(endpoint.streams == ["btcusdt@bookTicker"])
        #expect(!endpoint.combined)
    }

    @Test func combinedUSDMPublicForm() throws {
        let url = "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker/ethusdt@depth@100ms"
        let endpoint = try StreamEndpoint.parse(url)
        #expect(endpoint.url == url)
        #expect(endpoint.requestURI == "/public/stream?streams=btcusdt@bookTicker/ethusdt@depth@100ms")
        #expect(endpoint.route == .usdmPublic)
        #expect(endpoint.streams == ["btcusdt@bookTicker", "ethusdt@depth@100ms"])
        #expect(endpoint.combined)
    }

    @Test func rawAndCombinedUSDMMarketForms() throws {
        let raw = try StreamEndpoint.parse("wss://fstream.binance.com/market/ws/btcusdt@aggTrade/btcusdt@markPrice@1s")
        #expect(raw.route == .usdmMarket)
        #expect(raw.streams == ["btcusdt@aggTrade", "btcusdt@markPrice@1s"])
        #expect(!raw.combined)
        let combined = try StreamEndpoint.parse("wss://fstream.binance.com/market/stream?streams=btcusdt@kline_1m")
        #expect(combined.route == .usdmMarket)
        #expect(combined.requestURI == "/market/stream?streams=btcusdt@kline_1m")
        #expect(combined.combined)
    }

    @Test func legacyUSDMFormsWithoutRoutePrefix() throws {
        let raw = try StreamEndpoint.parse("wss://fstream.binance.com/ws/btcusdt@bookTicker")
        #expect(raw.route == .legacy)
        #expect(raw.requestURI == "/ws/btcusdt@bookTicker")
        let combined = try StreamEndpoint.parse("wss://fstream.binance.com/stream?streams=btcusdt@aggTrade")
        #expect(combined.route == .legacy)
        #expect(combined.combined)
    }

    @Test func spotFormOnPort9443() throws {
        let endpoint = try StreamEndpoint.parse("wss://stream.binance.com:9443/ws/btcusdt@bookTicker")
        #expect(endpoint.route == .spot)
        #expect(endpoint.port == 9443)
        #expect(endpoint.host == "stream.binance.com")
        #expect(endpoint.requestURI == "/ws/btcusdt@bookTicker")
        let vision = try StreamEndpoint.parse("wss://data-stream.binance.vision/stream?streams=btcusdt@trade")
        #expect(vision.route == .spot)
        #expect(vision.combined)
    }

    @Test func localTestHostsWithPlainWebSocket() throws {
        let ipv4 = try StreamEndpoint.parse("ws://127.0.0.1:18080/public/ws/btcusdt@bookTicker")
        #expect(!ipv4.useTLS)
        #expect(ipv4.host == "127.0.0.1")
        #expect(ipv4.port == 18080)
        #expect(ipv4.route == .other)
        #expect(ipv4.requestURI == "/public/ws/btcusdt@bookTicker")
        let localhost = try StreamEndpoint.parse("ws://localhost/stream?streams=btcusdt@bookTicker")
        #expect(localhost.port == 80)
        #expect(localhost.host == "localhost")
        let ipv6 = try StreamEndpoint.parse("ws://[::1]:9000/ws/btcusdt@bookTicker")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 9000)
    }

    @Test func urlWithoutStreamsIsAcceptedForSubscribe() throws {
        let raw = try StreamEndpoint.parse("wss://fstream.binance.com/public/ws")
        #expect(raw.streams.isEmpty)
        #expect(!raw.combined)
        let combined = try StreamEndpoint.parse("wss://fstream.binance.com/public/stream")
        #expect(combined.streams.isEmpty)
        #expect(combined.combined)
    }

    @Test(arguments: [
        ("https://fstream.binance.com/ws/btcusdt@bookTicker", "unsupported scheme \"https\""),
        ("fstream.binance.com/ws/btcusdt@bookTicker", "not a URL"),
        ("wss://user:pw@fstream.binance.com/ws/btcusdt@bookTicker", "user info"),
        ("wss://fstream.binance.com/ws/btcusdt@bookTicker#x", "fragment"),
        ("wss://fstream.binance.com/ws/btcusdt@bookTicker//ethusdt@bookTicker", "empty stream name"),
        ("wss://fstream.binance.com/ws/btcusdt@bookTicker/", "empty stream name"),
        ("wss://fstream.binance.com/stream?streams=", "streams= is empty"),
        ("wss://fstream.binance.com/stream?streams=a@trade//b@trade", "empty stream name"),
        ("wss://fstream.binance.com/", "unsupported path"),
        ("wss://fstream.binance.com", "no path"),
        ("wss://:443/ws/btcusdt@bookTicker", "no host"),
        ("wss://fstream.binance.com:0/ws/btcusdt@bookTicker", "invalid port"),
        ("wss://fstream.binance.com:99999/ws/btcusdt@bookTicker", "invalid port"),
        ("wss://fstream.binance.com/ws?streams=btcusdt@bookTicker", "/stream form"),
        ("wss://fstream.binance.com/ws/btcusdt", "<symbol>@<type>"),
        ("wss://stream.binance.com:9443/public/ws/btcusdt@bookTicker", "only on USD-M"),
        ("wss://fstream.binance.com/ws/btc usdt@bookTicker", "space"),
        ("wss://fstream.binance.com/ws/btcusdt@bookTicker/btcusdt@bookTicker", "listed twice"),
    ])
    func rejectsMalformedURLsSayingWhy(url: String, fragment: String) throws {
        let message = try #require(rejection(url))
        #expect(message.contains(fragment), "\(message)")
    }

    @Test func uppercaseSymbolIsRejectedWithTheSilentFailureExplained() throws {
        let message = try #require(rejection("wss://fstream.binance.com/public/ws/BTCUSDT@bookTicker"))
        #expect(message.contains("stream names must be lowercase: BTCUSDT@bookTicker delivers nothing on Binance"))
        #expect(message.contains("btcusdt@bookTicker"))
    }

    @Test func camelCaseStreamTypeAndAllMarketStreamsAreAccepted() throws {
        let endpoint = try StreamEndpoint.parse(
            "wss://fstream.binance.com/market/ws/btcusdt@aggTrade/!markPrice@arr@1s/btcusdt_perpetual@continuousKline_1m")
        #expect(endpoint.streams.count == 3)
        #expect(try StreamEndpoint.parse("wss://fstream.binance.com/public/ws/!bookTicker").streams == ["!bookTicker"])
    }

    @Test(arguments: ["btcusdt@bookTicker", "btcusdt@depth", "btcusdt@depth5@100ms", "btcusdt@trade", "!bookTicker"])
    func bookStreamsOnMarketRouteNameThePublicRoute(stream: String) throws {
        let message = try #require(rejection("wss://fstream.binance.com/market/ws/\(stream)"))
        #expect(message.contains("/market"))
        #expect(message.contains("/public/"))
    }

    @Test(arguments: ["btcusdt@aggTrade", "btcusdt@markPrice", "btcusdt@markPrice@1s", "btcusdt@kline_1m", "!markPrice@arr"])
    func marketStreamsOnPublicRouteNameTheMarketRoute(stream: String) throws {
        let message = try #require(rejection("wss://fstream.binance.com/public/stream?streams=\(stream)"))
        #expect(message.contains("/public route"))
        #expect(message.contains("/market/"))
    }

    @Test func routeRulesDoNotApplyToOtherHosts() throws {
        let endpoint = try StreamEndpoint.parse("ws://127.0.0.1:9000/market/ws/btcusdt@bookTicker")
        #expect(endpoint.route == .other)
    }
}

@Suite struct StreamEndpointLocalPortTests {
    @Test func aLocalSimulatorOnPort9443MayUseUSDMRoutes() throws {
        let endpoint = try StreamEndpoint.parse("ws://127.0.0.1:9443/public/stream?streams=btcusdt@bookTicker")
        #expect(endpoint.route == .other)
        #expect(endpoint.streams == ["btcusdt@bookTicker"])
    }
}
