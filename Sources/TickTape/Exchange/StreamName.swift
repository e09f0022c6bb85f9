/// The name a stream goes by in the capture: its combined-stream name (`btcusdt@depth@100ms`)
/// when the frame carries one, else `<symbol>@<event type>` from the payload (`btcusdt@trade`,
/// `*@…` without a symbol, the sequence rule's name without an event type).
///
/// One home for it because the merger (one sequencer per stream), the segment tally (manifest
/// per-stream counts) and the verifier must all agree on which stream a line belongs to.
enum StreamName {
    /// The stream of a scanned frame whose bytes are `bytes`.
    static func of(_ frame: ScannedFrame, rule: SequenceRule, in bytes: UnsafeRawBufferPointer) -> String {
        func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
        if let stream = frame.stream { return text(stream) }
        let symbol = frame.symbol.map { text($0).lowercased() } ?? "*"
        let kind = frame.eventType.map(text) ?? "\(rule)"
        return "\(symbol)@\(kind)"
    }
}
