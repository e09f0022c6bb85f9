/// Which stream a stored line belongs to, by the same reading as the merger and the manifests
/// (``StreamName``): the combined-stream name of an envelope, else `<symbol>@<event type>`.
///
/// Lines of one stream come in runs, so the last name is kept and its bytes compared before a
/// new `String` is built: no allocation per line on the hot path of a `max` replay.
struct ReplayStreamResolver {
    /// What a line is, for the replay.
    enum Kind: Equatable {
        /// Market data of `stream`.
        case data
        /// A book snapshot line ticktape injected (`{"snapshot":…}`), not a Binance frame.
        case snapshot
        /// Anything else (a control reply, a malformed line): never replayed.
        case other
    }

    private var lastKey: [UInt8] = []
    private var lastName = ""
    private static let envelope = Array(#"{"stream":""#.utf8)
    private static let snapshotPrefix = Array(#"{"snapshot":"#.utf8)

    /// The kind and stream name of `frame`.
    mutating func resolve(_ frame: UnsafeRawBufferPointer) -> (Kind, String) {
        if frame.starts(with: Self.envelope) {
            var end = Self.envelope.count
            while end < frame.count, frame[end] != UInt8(ascii: "\"") { end += 1 }
            let key = UnsafeRawBufferPointer(rebasing: frame[Self.envelope.count..<end])
            if !key.elementsEqual(lastKey) {
                lastKey = Array(key)
                lastName = String(decoding: key, as: UTF8.self)
            }
            return (.data, lastName)
        }
        if frame.starts(with: Self.snapshotPrefix) { return (.snapshot, "") }
        let scanned = FrameScanner.scan(frame)
        guard scanned.kind == .data else { return (.other, "") }
        let rule = SequenceRule.classify(scanned, in: frame)
        return (.data, StreamName.of(scanned, rule: rule, in: frame))
    }
}
