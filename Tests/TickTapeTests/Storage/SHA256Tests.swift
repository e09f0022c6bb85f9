import Crypto
import Foundation
import Testing

@testable import TickTape

@Suite struct SHA256Tests {
    @Test func knownAnswerVectorsFromFIPS180() {
        #expect(SHA256.hex(of: Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = SHA256()
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { a.withUnsafeBytes { h.update($0) } }
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkBoundariesDoNotChangeTheDigest() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = SHA256.hex(of: data)
        for split in [1, 55, 56, 63, 64, 65, 119, 500] {
            var h = SHA256()
            data[..<split].withUnsafeBytes { h.update($0) }
            data[split...].withUnsafeBytes { h.update($0) }
            #expect(h.finalizeHex() == whole, "split at \(split)")
        }
    }

    @Test func matchesSha256sumOnARandomFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var rng = SystemRandomNumberGenerator()
        let data = (0..<(300_000 + Int.random(in: 0..<64))).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = dir.path + "/random.bin"
        try Data(data).write(to: URL(fileURLWithPath: path))
        let result = try await runTool("/usr/bin/sha256sum", [path])
        #expect(result.status == 0)
        let expected = String(result.output.prefix(64))
        #expect(expected.count == 64)
        #expect(SHA256.hex(of: data) == expected)
    }
}
