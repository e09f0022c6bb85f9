import Testing

@testable import TickTape

@Suite struct ConfigHumanDurationTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("10s", .seconds(10)),
        ("5m", .seconds(300)),
        ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)),
        ("500us", .microseconds(500)),
        ("500µs", .microseconds(500)),
        ("2d", .seconds(172_800)),
        ("1.5s", .milliseconds(1500)),
        ("1s500ms", .milliseconds(1500)),
        ("100ns", .nanoseconds(100)),
        ("0", .zero),
        ("0s", .zero),
    ])
    func parsesHumanDurations(text: String, expected: Duration) throws {
        #expect(try HumanDuration.parse(text) == expected)
    }

    @Test(arguments: [
        ("", "empty"),
        ("10", "missing a unit"),
        ("5 m", "contains a space"),
        ("5min", "unknown unit \"min\""),
        ("5x", "unknown unit"),
        ("30m1h", "largest first"),
        ("1m1m", "largest first"),
        ("-5s", "invalid duration"),
        ("1.5ns", "finer than a nanosecond"),
        ("999999999999d", "too large"),
        ("ms", "invalid duration"),
        (".5s", "invalid duration"),
        ("1.s", "invalid duration"),
    ])
    func rejectsMalformedDurationsWithAReason(text: String, fragment: String) {
        #expect {
            try HumanDuration.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(fragment) == true
        }
    }

    @Test(arguments: [
        (Duration.milliseconds(250), "250ms"),
        (.seconds(5400), "1h30m"),
        (.milliseconds(1500), "1s500ms"),
        (.seconds(172_800), "2d"),
        (.microseconds(500), "500us"),
        (.zero, "0s"),
        (.seconds(-10), "-10s"),
    ])
    func formatsDurationsCompactly(duration: Duration, expected: String) {
        #expect(HumanDuration.format(duration) == expected)
    }

    @Test func formatAndParseRoundTrip() throws {
        var generator = ConfigTestRandom(seed: 42)
        for _ in 0..<1000 {
            let nanoseconds = Int64.random(in: 0...(Int64(40) * 86_400 * 1_000_000_000), using: &generator)
            let duration = Duration.nanoseconds(nanoseconds)
            #expect(try HumanDuration.parse(HumanDuration.format(duration)) == duration)
        }
    }
}

@Suite struct HumanDurationLogFormatTests {
    @Test func logFormatRoundsToWhatAPersonNeeds() {
        #expect(HumanDuration.formatForLog(.nanoseconds(26_026_045)) == "26ms")
        #expect(HumanDuration.formatForLog(.milliseconds(1_340)) == "1.3s")
        #expect(HumanDuration.formatForLog(.microseconds(740)) == "740us")
        #expect(HumanDuration.formatForLog(.seconds(90)) == "1m30s")
    }
}
