import Foundation
import Testing

@testable import TickTape

/// ``UTCInstant`` against Foundation's calendar (an independent implementation) and the forms
/// every surface must accept or refuse.
@Suite struct UTCInstantTests {
    /// Every day from 1900 to 2100 (and each day's last second): the day number and the date
    /// text agree with Foundation's Gregorian calendar in UTC.
    @Test func everyDayOfTwoCenturiesAgreesWithFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let first = UTCInstant.days(year: 1900, month: 1, day: 1)
        let last = UTCInstant.days(year: 2100, month: 12, day: 31)
        for day in first...last {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400))
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let (y, m, d) = UTCInstant.civil(days: day)
            #expect([y, m, d] == [Int64(parts.year!), Int64(parts.month!), Int64(parts.day!)], "day \(day)")
            let text = UTCInstant.date(days: day) + "T23:59:59Z"
            #expect(UTCInstant.nanos(text) == (day * 86_400 + 86_399) * 1_000_000_000, "\(text)")
        }
    }

    @Test func theAcceptedForms() {
        let base: Int64 = 1_723_161_270 * 1_000_000_000  // 2024-08-08T23:54:30Z
        #expect(UTCInstant.nanos("2024-08-08T23:54:30Z") == base)
        #expect(UTCInstant.nanos("2024-08-08 23:54:30Z") == base)
        #expect(UTCInstant.nanos("2024-08-08T23:54:30+00:00") == base)
        #expect(UTCInstant.nanos("2024-08-08T23:54:30.25Z") == base + 250_000_000)
        #expect(UTCInstant.nanos("2024-08-08T23:54:30.123456789Z") == base + 123_456_789)
        #expect(UTCInstant.iso(nanos: base + 123_456_789) == "2024-08-08T23:54:30.123456789Z")
        #expect(UTCInstant.iso(nanos: -1) == "1969-12-31T23:59:59.999999999Z")
        #expect(UTCInstant.nanos(UTCInstant.iso(nanos: -1)) == -1)
        #expect(UTCInstant.nanos("2024-02-29T00:00:00Z") != nil, "2024 is a leap year")
        // Beyond 64-bit nanoseconds (after 2262): no instant in ns, still one in ms.
        #expect(UTCInstant.nanos("2999-01-01T00:00:00Z") == nil)
        #expect(UTCInstant.milliseconds("2999-01-01T00:00:00.5Z") == UTCInstant.days(year: 2999, month: 1, day: 1) * 86_400_000 + 500)
    }

    @Test(arguments: [
        "", "2024-08-08", "2024-08-08T23:54:30", "2024-08-08T23:54:30+01:00", "2024-08-08T23:54:30.Z",
        "2024-08-08T23:54:30.1234567890Z", "2024-02-30T00:00:00Z", "1900-02-29T00:00:00Z", "2023-04-31T00:00:00Z",
        "2024-13-01T00:00:00Z", "2024-08-08T24:00:00Z", "2024-08-08T23:60:00Z", "2024-08-08T23:59:60Z",
        "2024-08-08t23:54:30Z", "2024-8-08T23:54:30Z", "２０２４-08-08T23:54:30Z",
    ])
    func refused(_ text: String) {
        #expect(UTCInstant.nanos(text) == nil)
    }
}
