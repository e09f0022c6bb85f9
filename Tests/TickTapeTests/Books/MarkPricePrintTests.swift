import Testing

@testable import TickTape

@Suite struct MarkPricePrintTests {
    /// A real current-format USD-M frame (polyoxide's 2026-10 recording, pretty-printed as recorded).
    @Test func parsesAMarkPriceUpdate() {
        var frame = """
{
 "stream": "btcusdt@markPrice@1s",
 "data": {
  "e": "markPriceUpdate",
  "E": 1791382993000,
  "s": "BTCUSDT",
  "p": "83084.30000000",
  "ap": "83084.30000000",
  "P": "83195.15881449",
  "i": "83123.65891304",
  "r": "0.00000078",
  "T": 1791388800000,
  "st": 1
 }
}
"""
        var print = MarkPricePrint()
        let ok = frame.withUTF8 { print.parse(UnsafeRawBufferPointer($0)) }
        #expect(ok)
        #expect(print.price.description == "83084.30000000")
        #expect(print.eventTime == 1791382993000)
        var other = #"{"e":"trade","E":1,"p":"1.0"}"#
        #expect(!other.withUTF8 { print.parse(UnsafeRawBufferPointer($0)) }, "not a mark price update")
    }
}
