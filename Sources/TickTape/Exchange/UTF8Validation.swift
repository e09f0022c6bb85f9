/// Checks that a frame is well-formed UTF-8 before it is written to a capture file.
///
/// RFC 6455 requires text frames to be UTF-8 and NIO does not check it. A frame that is not is
/// skipped as malformed (counted, logged) rather than failing the connection: one bad frame
/// must not cost a connection, and it must not end up in a capture that readers parse as text.
/// Binance frames are ASCII, so the check runs eight bytes at a time until it meets a byte
/// above 0x7F and only then validates sequences one by one.
package enum UTF8Validation {
    @inlinable
    package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var i = 0
        while i + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                return validateSequences(bytes, from: i)
            }
            i += 8
        }
        while i < count {
            if bytes[i] >= 0x80 { return validateSequences(bytes, from: i) }
            i += 1
        }
        return true
    }

    /// Byte-by-byte validation (Unicode Table 3-7: no overlongs, no surrogates, ≤ U+10FFFF).
    @usableFromInline
    static func validateSequences(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
        let count = bytes.count
        var i = start
        while i < count {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard i + length <= count else { return false }
            let b1 = bytes[i + 1]
            guard b1 >= low && b1 <= high else { return false }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }
}
