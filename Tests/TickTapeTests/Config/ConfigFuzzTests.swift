import Testing

@testable import TickTape

/// Random mutations of the shipped configuration must only ever parse or throw a
/// `ConfigError` pointing inside the file: never trap, hang or point nowhere.
@Suite struct ConfigFuzzTests {
    private static let interesting: [UInt8] = Array("[]{}\"'=#.,\n\r\t\\ _-+:0123456789abcxyzeE".utf8) + [0, 0x7F, 0xC3, 0xA9]

    private static func mutate(_ input: [UInt8], using generator: inout ConfigTestRandom) -> [UInt8] {
        var bytes = input
        let rounds = Int.random(in: 1...4, using: &generator)
        for _ in 0..<rounds {
            let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0 where !bytes.isEmpty:
                bytes.remove(at: index)
            case 1:
                let byte = interesting.randomElement(using: &generator) ?? 0
                bytes.insert(byte, at: index)
            case 2 where !bytes.isEmpty:
                bytes[index] = interesting.randomElement(using: &generator) ?? 0
            case 3 where !bytes.isEmpty:
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, index + Int.random(in: 1...80, using: &generator))
                bytes.removeSubrange(index..<end)
            case 5 where !bytes.isEmpty:
                let end = min(bytes.count, index + Int.random(in: 1...80, using: &generator))
                let chunk = Array(bytes[index..<end])
                let target = Int.random(in: 0...bytes.count, using: &generator)
                bytes.insert(contentsOf: chunk, at: target)
            default:
                bytes = Array(bytes.prefix(index))
            }
        }
        return bytes
    }

    @Test func randomMutationsOfTheDefaultFileNeverCrash() throws {
        let original = Array(try readDefaultFile().utf8)
        var generator = ConfigTestRandom(seed: 0x71c7_a9e0)
        var parsed = 0
        var rejected = 0
        for _ in 0..<4000 {
            let text = String(decoding: Self.mutate(original, using: &generator), as: UTF8.self)
            let lineCount = text.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            do {
                _ = try TickTapeConfig.parse(text, file: "fuzz.toml")
                parsed += 1
            } catch {
                rejected += 1
                #expect(error.file == "fuzz.toml")
                if let line = error.line {
                    #expect((1...lineCount).contains(line), "\(error) outside 1...\(lineCount)")
                }
                #expect(!error.message.isEmpty)
            }
        }
        #expect(parsed + rejected == 4000)
        #expect(parsed > 0)
        #expect(rejected > 0)
    }

    @Test func randomBytesNeverCrashTheTOMLParser() {
        var generator = ConfigTestRandom(seed: 99)
        var outcomes = 0
        for _ in 0..<2000 {
            let length = Int.random(in: 0...200, using: &generator)
            let bytes = (0..<length).map { _ in Self.interesting.randomElement(using: &generator) ?? 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                _ = try TOMLDocument.parse(text, file: "random.toml")
            } catch {
                #expect(error.line != nil)
            }
            outcomes += 1
        }
        #expect(outcomes == 2000)
    }
}
