import Testing

@testable import TickTape

@Suite struct StorageGapLedgerTests {
    @Test func aDroppedSpanBecomesOneStorageEntryWithPerStreamIdRanges() {
        var span = StorageDropSpan()
        #expect(!span.isOpen)
        span.add(receivedAt: 100, stream: "btcusdt@bookTicker", id: 7)
        span.add(receivedAt: 105, stream: "ethusdt@bookTicker", id: 70)
        span.add(receivedAt: 110, stream: "btcusdt@bookTicker", id: 9)
        span.add(receivedAt: 120, stream: "btcusdt@bookTicker", id: 12)
        #expect(span.isOpen)
        let gap = span.close(detectedAt: 200, connectionsUp: 3)
        #expect(!span.isOpen, "closing starts a fresh span")
        #expect(gap.cause == "storage")
        #expect(gap.firstDroppedAt == 100 && gap.lastDroppedAt == 120 && gap.droppedLines == 4)
        #expect(gap.stream == "*" && gap.firstMissing == -1, "several streams: read `streams`")
        #expect(
            gap.streams == [
                GapStreamRange(stream: "btcusdt@bookTicker", firstID: 7, lastID: 12, count: 3),
                GapStreamRange(stream: "ethusdt@bookTicker", firstID: 70, lastID: 70, count: 1),
            ])
        let parsed = try? GapRecord(json: JSONValue.parse(gap.jsonLine))
        #expect(parsed == gap, "the ledger line reads back to the same entry")
    }

    @Test func aSingleStreamSpanNamesItsStreamAndIds() {
        var span = StorageDropSpan()
        span.add(receivedAt: 1, stream: "btcusdt@trade", id: 40)
        span.add(receivedAt: 2, stream: "btcusdt@trade", id: 41)
        let gap = span.close(detectedAt: 3, connectionsUp: 1)
        #expect(gap.stream == "btcusdt@trade" && gap.firstMissing == 40 && gap.lastMissing == 41)
        #expect(gap.jsonLine.hasPrefix(#"{"stream":"btcusdt@trade","first_missing":40,"last_missing":41,"#))
    }

    @Test func sequenceGapLinesKeepTheirFormat() {
        let gap = GapRecord(
            stream: "btcusdt@trade", firstMissing: 5, lastMissing: 9, detectedAt: 77, cause: "sequence", connectionsUp: 2)
        #expect(
            gap.jsonLine
                == #"{"stream":"btcusdt@trade","first_missing":5,"last_missing":9,"detected_at_ns":77,"cause":"sequence","connections_up":2}"#
                + "\n")
    }

    @Test func jsonValuesRoundTripThroughTheWriterAndParser() throws {
        let value = JSONValue.object([
            ("s", .string("a\"b\\c\n\u{1}é")), ("i", .int(-9_223_372_036_854_775_807)), ("d", .double(1.5)),
            ("a", .array([.null, .bool(true), .bool(false), .object([])])), ("e", .array([])),
        ])
        #expect(try JSONValue.parse(value.compact) == value)
        #expect(try JSONValue.parse(value.pretty) == value)
        #expect(throws: ManifestError.self) { try JSONValue.parse("{\"a\":1,}") }
        #expect(throws: ManifestError.self) { try JSONValue.parse("[1] x") }
    }
}
