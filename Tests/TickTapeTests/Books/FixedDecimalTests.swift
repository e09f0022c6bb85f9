import Foundation
import Testing

@testable import TickTape

/// Prices and quantities print back exactly as Binance wrote them.
@Suite struct FixedDecimalTests {
    /// Every `"p"`/`"q"` string in the fixture slices (levels, trade prices and quantities).
    static func decimalStrings(_ name: String) throws -> [String] {
        let text = String(decoding: try gunzip(try RecordedLines.fixturePath(name)), as: UTF8.self)
        let regex = try NSRegularExpression(pattern: #""(-?[0-9]+\.[0-9]+)""#)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    @Test(arguments: ["usdm_btcusdt_depth_trades", "spot_btcusdt_depth_trades"])
    func everyFixtureDecimalRoundTrips(_ fixture: String) throws {
        let strings = try Self.decimalStrings(fixture)
        #expect(strings.count > 50_000)
        var failures: [String] = []
        for s in strings where FixedDecimal(s)?.description != s { failures.append(s) }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test func scaleIsKeptAndOrderIsNumeric() throws {
        let a = try #require(FixedDecimal("58123.10"))
        #expect(a.mantissa == 5_812_310 && a.scale == 2)
        #expect(FixedDecimal("0.001")?.description == "0.001")
        #expect(FixedDecimal("0.00000000")?.isZero == true)
        #expect(FixedDecimal("5")?.description == "5")
        #expect(FixedDecimal("1.5")! < FixedDecimal("1.50001")!)
        #expect(FixedDecimal("2")! > FixedDecimal("1.99999999")!)
        for bad in ["", ".", "1.", ".5", "1e5", "1.2.3", "abc", "1234567890123456789012"] {
            #expect(FixedDecimal(bad) == nil, "\(bad)")
        }
    }
}
