import Testing

@testable import TickTape

@Suite struct BookTickerCheckTests {
    static func ticker(_ text: String) -> BookTickerPrint {
        var print = BookTickerPrint()
        var frame = text
        let ok = frame.withUTF8 { print.parse(UnsafeRawBufferPointer($0)) }
        #expect(ok, "parses \(text)")
        return print
    }

    static func book(lastUpdateID: Int64, bid: String, ask: String) throws -> OrderBook {
        let body = #"{"lastUpdateId":\#(lastUpdateID),"bids":[["\#(bid)","1.000"],["1.00","2.000"]],"asks":[["\#(ask)","1.000"]]}"#
        var book = OrderBook()
        book.load(try #require(DepthSnapshot.parse(body)))
        return book
    }

    @Test func parsesUSDMAndSpotBookTickers() {
        let usdm = Self.ticker(#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#)
        #expect(usdm.updateID == 400900217 && usdm.bidPrice.description == "25.35190000" && usdm.askQuantity.description == "40.66000000")
        let spot = Self.ticker(#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#)
        #expect(spot.updateID == 400900217)
    }

    /// Compared only at the same update id, numerically; other ids never count against the book.
    @Test func aBookIsJudgedOnlyAtTheTickersUpdateID() throws {
        var check = BookTickerCheck()
        #expect(check.check(try Self.book(lastUpdateID: 10, bid: "100.0", ask: "101.0")) == nil, "nothing to compare")
        check.observe(Self.ticker(#"{"u":12,"s":"X","b":"100.00","B":"1","a":"101.00","A":"1"}"#))
        #expect(check.check(try Self.book(lastUpdateID: 11, bid: "99.0", ask: "101.0")) == nil, "the book has not reached 12 yet")
        #expect(check.check(try Self.book(lastUpdateID: 12, bid: "100.0", ask: "101.0")) == true, "100.0 is 100.00")
        check.observe(Self.ticker(#"{"u":20,"s":"X","b":"100.00","B":"1","a":"101.00","A":"1"}"#))
        #expect(check.check(try Self.book(lastUpdateID: 21, bid: "50.0", ask: "101.0")) == nil, "moved past 20 in one diff: not comparable")
        #expect(check.check(try Self.book(lastUpdateID: 21, bid: "50.0", ask: "101.0")) == nil, "that ticker is forgotten")
        check.observe(Self.ticker(#"{"u":30,"s":"X","b":"100.00","B":"1","a":"101.00","A":"1"}"#))
        #expect(check.check(try Self.book(lastUpdateID: 30, bid: "100.0", ask: "102.0")) == false, "a different ask at the same id")
    }
}
