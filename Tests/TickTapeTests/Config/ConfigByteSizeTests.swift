import Testing

@testable import TickTape

@Suite struct ConfigByteSizeTests {
    @Test(arguments: [
        ("256MiB", Int64(256) << 20),
        ("1GiB", Int64(1) << 30),
        ("64KiB", Int64(64) << 10),
        ("1MB", Int64(1_000_000)),
        ("1kB", Int64(1_000)),
        ("1KB", Int64(1_000)),
        ("2TiB", Int64(2) << 40),
        ("1.5GiB", Int64(3) << 29),
        ("4096", Int64(4096)),
        ("10B", Int64(10)),
        ("1 MiB", Int64(1) << 20),
        ("1mib", Int64(1) << 20),
    ])
    func parsesHumanSizes(text: String, expected: Int64) throws {
        #expect(try ByteSize.parse(text) == expected)
    }

    @Test(arguments: [
        ("", "invalid size"),
        ("MiB", "invalid size"),
        ("12XB", "unknown unit"),
        ("0.3B", "whole number of bytes"),
        ("99999999999TiB", "too large"),
        ("-1MiB", "invalid size"),
        (".5MiB", "invalid size"),
        ("1.MiB", "invalid size"),
    ])
    func rejectsMalformedSizesWithAReason(text: String, fragment: String) {
        #expect {
            try ByteSize.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(fragment) == true
        }
    }

    @Test(arguments: [
        (Int64(256) << 20, "256MiB"),
        (Int64(1_000_000), "1MB"),
        (Int64(1) << 30, "1GiB"),
        (Int64(1500), "1500B"),
        (Int64(0), "0B"),
        (Int64(64) << 10, "64KiB"),
    ])
    func formatsSizesExactly(bytes: Int64, expected: String) {
        #expect(ByteSize.format(bytes) == expected)
    }

    @Test func formatAndParseRoundTrip() throws {
        var generator = ConfigTestRandom(seed: 7)
        for _ in 0..<1000 {
            let shift = Int.random(in: 0...40, using: &generator)
            let bytes = Int64.random(in: 0...1000, using: &generator) << shift
            #expect(try ByteSize.parse(ByteSize.format(bytes)) == bytes)
        }
    }
}
