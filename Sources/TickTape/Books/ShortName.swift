/// A symbol or stream name of up to 32 bytes held inline, so a parsed message can carry it and
/// a book can compare it without allocating a `String` per message.
package struct ShortName: Hashable, Sendable, CustomStringConvertible {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Bytes used (names longer than 32 bytes are cut: none of Binance's are).
    package private(set) var count: UInt8 = 0

    package static let capacity = 32

    package init() {}

    /// The bytes at `p`, upper-cased if `uppercase` (stream names spell symbols in lower case,
    /// payloads in upper case).
    package init(_ p: UnsafePointer<UInt8>, count: Int, uppercase: Bool = false) {
        let n = min(count, Self.capacity)
        withUnsafeMutableBytes(of: &words) { buf in
            for i in 0..<n {
                var c = p[i]
                if uppercase, c >= UInt8(ascii: "a"), c <= UInt8(ascii: "z") { c -= 32 }
                buf[i] = c
            }
        }
        self.count = UInt8(n)
    }

    package init(_ text: String, uppercase: Bool = false) {
        var s = text
        self = s.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return ShortName() }
            return ShortName(base, count: bytes.count, uppercase: uppercase)
        }
    }

    package var isEmpty: Bool { count == 0 }

    package static func == (a: ShortName, b: ShortName) -> Bool {
        a.count == b.count && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
            && a.words.3 == b.words.3
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Appends the bytes.
    package func write(into out: inout [UInt8]) {
        var w = words
        withUnsafeBytes(of: &w) { out.append(contentsOf: $0[0..<Int(count)]) }
    }

    package var description: String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
