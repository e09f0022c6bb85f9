/// `%XX` escapes decoded, for the two places ticktape reads them: query strings (the serve
/// listener, where `+` is a space and a malformed escape stays as written, as browsers and
/// curl send them) and PostgreSQL URLs (where a malformed escape is an error).
enum PercentDecoding {
    /// The bytes of `text` with escapes decoded; nil for a malformed escape unless `formEncoded`.
    static func bytes(_ text: Substring, formEncoded: Bool) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            if formEncoded, b == UInt8(ascii: "+") {
                bytes.append(32)
            } else if b == UInt8(ascii: "%") {
                if it.count >= 2, let hi = hex(it[it.startIndex]), let lo = hex(it[it.startIndex + 1]) {
                    bytes.append(hi << 4 | lo)
                    it = it.dropFirst(2)
                } else if formEncoded {
                    bytes.append(b)
                } else {
                    return nil
                }
            } else {
                bytes.append(b)
            }
        }
        return bytes
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
