import Crypto

/// The forms ticktape uses swift-crypto's SHA-256 in: streaming over raw buffers (the sealer,
/// the verifier, the S3 sink) and lowercase hex, the form `sha256sum` prints and the manifests
/// carry.
extension SHA256 {
    /// The hex digest of `bytes` in one call.
    package static func hex<C: Collection>(of bytes: C) -> String where C.Element == UInt8 {
        var h = SHA256()
        Array(bytes).withUnsafeBytes { h.update(bufferPointer: $0) }
        return h.finalize().hex
    }

    /// Feeds more input.
    package mutating func update(_ data: UnsafeRawBufferPointer) {
        update(bufferPointer: data)
    }

    /// The digest so far as lowercase hex.
    package func finalizeHex() -> String {
        finalize().hex
    }
}

extension Sequence<UInt8> {
    /// Lowercase hex (digests, MACs, checksums).
    package var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
