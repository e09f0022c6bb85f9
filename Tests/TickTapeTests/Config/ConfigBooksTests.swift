import Testing

@testable import TickTape

@Suite("[books] and the capture's book keys")
struct ConfigBooksTests {
    func parse(_ capture: String, top: String = "") throws(ConfigError) -> TickTapeConfig {
        try TickTapeConfig.parse(
            """
            data_dir = "/var/lib/ticktape"
            \(top)
            [[capture]]
            name = "c"
            connections = 2
            \(capture)
            """, file: "t.toml")
    }

    @Test("books default on for diff-depth captures, off otherwise; market from the host")
    func defaults() throws {
        let depth = try parse(#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth@100ms""#).captures[0].books
        #expect(depth.enabled && depth.market == .usdm && depth.snapshotLimit == 1000)
        #expect(depth.restEndpoint == (try RestEndpoint.parse("https://fapi.binance.com")))
        let spot = try parse(#"url = "wss://stream.binance.com:9443/ws/bnbbtc@depth""#).captures[0].books
        #expect(spot.enabled && spot.market == .spot && spot.restEndpoint.host == "api.binance.com")
        let partial = try parse(#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth20@100ms""#).captures[0].books
        #expect(!partial.enabled, "partial depth carries whole books: no REST")
        #expect(!(try parse(#"url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker""#).captures[0].books.enabled))
    }

    @Test("explicit values, a simulator url with its market, and [books] weight limits")
    func explicit() throws {
        let config = try parse(
            """
            url = "ws://127.0.0.1:9443/ws/bnbbtc@depth@100ms"
            market = "spot"
            snapshot_limit = 5000
            book_checkpoint_interval = "1h"
            rest_url = "http://127.0.0.1:9443"
            """, top: "[books]\nusdm_weight_limit = 1200\nspot_weight_limit = 3000")
        let books = config.captures[0].books
        #expect(books.market == .spot && books.snapshotLimit == 5000 && books.checkpointInterval == .seconds(3600))
        #expect(books.restEndpoint.port == 9443 && !books.restEndpoint.useTLS)
        #expect(config.books == BooksConfig(usdmWeightLimit: 1200, spotWeightLimit: 3000))
    }

    @Test("bad values say what is accepted", arguments: [
        (#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""# + "\nsnapshot_limit = 200", "5, 10, 20, 50, 100, 500 or 1000"),
        (#"url = "wss://fstream.binance.com/public/ws/btcusdt@bookTicker""# + "\nbooks = true", "no depth stream"),
        (#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""# + "\nrest_url = \"http://fapi.binance.com\"", "only allowed for a loopback host"),
        (#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""# + "\nmarket = \"spot\"", "usdm host"),
        (#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""# + "\nbook_checkpoint_interval = \"10ms\"", "book_checkpoint_interval must be"),
    ])
    func refusals(capture: String, message: String) {
        do {
            _ = try parse(capture)
            Issue.record("accepted: \(capture)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("[books] rejects unknown keys and tiny limits")
    func booksTable() {
        #expect(throws: ConfigError.self) { try parse(#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""#, top: "[books]\nweight = 5") }
        #expect(throws: ConfigError.self) { try parse(#"url = "wss://fstream.binance.com/public/ws/btcusdt@depth""#, top: "[books]\nusdm_weight_limit = 1") }
    }
}
