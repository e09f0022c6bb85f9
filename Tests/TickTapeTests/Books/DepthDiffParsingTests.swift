import Testing

@testable import TickTape

/// The depth parser on each shape Binance (and ticktape) writes.
@Suite struct DepthDiffParsingTests {
    @Test func usdmEnvelope() throws {
        var d = DepthDiff()
        let parsed1 = d.parse(
                #"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5,"u":9,"pu":4,"b":[["58710.20","0.014"],["61510.90","0.000"]],"a":[]}}"#
            )
        #expect(parsed1)
        #expect(d.stream.description == "btcusdt@depth@0ms")
        #expect(d.symbol.description == "BTCUSDT")
        #expect(d.market == .usdm)
        #expect((d.firstUpdateID, d.finalUpdateID, d.previousFinalUpdateID) == (5, 9, 4))
        #expect((d.eventTime, d.transactionTime) == (1_723_161_256_299, 1_723_161_256_298))
        #expect(d.bids.map(\.price.description) == ["58710.20", "61510.90"])
        #expect(d.bids[1].quantity.isZero)
        #expect(d.asks.isEmpty)
        #expect(!d.isSnapshot)
    }

    @Test func spotRawPayloadAndReuse() {
        var d = DepthDiff()
        let parsed2 = d.parse(#"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#)
        #expect(parsed2)
        #expect(d.market == nil)
        #expect(d.previousFinalUpdateID == nil)
        #expect(d.asks == [PriceLevel(price: FixedDecimal("0.0026")!, quantity: FixedDecimal("100")!)])
        // The same storage, another message: nothing of the first survives.
        let parsed3 = d.parse(#"{"e":"depthUpdate","E":1,"s":"BNBBTC","U":161,"u":161,"b":[],"a":[]}"#)
        #expect(parsed3)
        #expect(d.bids.isEmpty && d.asks.isEmpty)
    }

    @Test func partialDepthIsASnapshot() {
        var d = DepthDiff()
        let parsed4 = d.parse(#"{"stream":"bnbbtc@depth5@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}}"#)
        #expect(parsed4)
        #expect(d.isSnapshot)
        #expect(d.finalUpdateID == 160)
        #expect(d.symbol.description == "BNBBTC")
        let parsed5 = d.parse(
                #"{"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":10,"u":20,"pu":9,"b":[["1.0","1"]],"a":[["2.0","1"]]}}"#
            )
        #expect(parsed5)
        #expect(d.isSnapshot)
        #expect(d.isPartialDepthStream)
    }

    @Test func otherStreamsAreNotDepth() {
        var d = DepthDiff()
        let parsed6 = d.parse(#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1","T":1,"m":true}}"#)
        #expect(!parsed6)
        let parsed7 = d.parse(#"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#)
        #expect(!parsed7)
        let parsed8 = d.parse(#"{"result":null,"id":1}"#)
        #expect(!parsed8)
        let parsed9 = d.parse("not json")
        #expect(!parsed9)
    }

    @Test func restSnapshotBody() throws {
        let s = try #require(DepthSnapshot.parse(#"{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#))
        #expect(s.lastUpdateID == 1_027_024)
        #expect(s.eventTime == 1_589_436_922_972)
        #expect(s.bids[0].quantity.description == "431.00000000")
        #expect(s.asks[0].price.description == "4.00000200")
    }

    @Test func snapshotLineRoundTripsAndEmbedsTheBodyUnchanged() throws {
        let body = #"{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#
        let frame = try #require(BookSnapshotLine.encode(symbol: "btcusdt", market: .usdm, restBody: body))
        let text = String(decoding: frame, as: UTF8.self)
        #expect(text == #"{"snapshot":{"symbol":"BTCUSDT","market":"usdm","kind":"rest","# + body.dropFirst() + "}")
        let line = try #require(BookSnapshotLine.decode(text))
        #expect(line.symbol == "BTCUSDT")
        #expect(line.market == .usdm)
        #expect(line.kind == .rest)
        #expect(line.snapshot == DepthSnapshot.parse(body))
        // A bare REST body is not a snapshot line (it names no symbol).
        #expect(BookSnapshotLine.decode(body) == nil)
    }

    @Test func checkpointLineCarriesTheBook() throws {
        var book = OrderBook()
        book.load(try #require(DepthSnapshot.parse(#"{"lastUpdateId":7,"bids":[["10.10","1.000"],["10.00","2.500"]],"asks":[["10.20","0.001"]]}"#)))
        let frame = BookSnapshotLine.encode(symbol: "ETHUSDT", market: .spot, book: book)
        let line = try #require(BookSnapshotLine.decode(String(decoding: frame, as: UTF8.self)))
        #expect(line.kind == .checkpoint)
        #expect(line.market == .spot)
        #expect(line.snapshot.lastUpdateID == 7)
        #expect(line.snapshot.bids.map(\.price.description) == ["10.10", "10.00"])
        #expect(line.snapshot.asks.map(\.quantity.description) == ["0.001"])
    }
}
