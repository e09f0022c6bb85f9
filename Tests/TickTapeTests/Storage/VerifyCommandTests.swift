import Foundation
import Testing

@testable import TickTape

/// `ticktape verify` (the built executable) against sealed segments and tampered copies.
@Suite struct VerifyCommandTests {
    typealias F = SealingFixture

    /// A directory with one freshly sealed segment of `count` lines.
    func sealedSegment(count: Int = 400) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("ticktape-verify")
        let source = try F.writePlain(directory: dir.path, base: F.base, count: count)
        _ = try SegmentSeal.seal(F.job(directory: dir.path, base: F.base, source: source), identity: F.identity, health: F.health)
        return dir
    }

    func verify(_ paths: [String]) async throws -> (status: Int32, output: String) {
        try await runTool(try DaemonProcessTests.binary("ticktape"), ["verify"] + paths)
    }

    func recompress(_ path: String, _ transform: ([Substring]) -> [Substring]) throws {
        let text = String(decoding: try gunzip(path), as: UTF8.self)
        let lines = transform(text.split(separator: "\n"))
        let encoder = try GzipEncoder(level: 6)
        var out: [UInt8] = []
        try Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBytes { raw in
            try encoder.compress(raw) { out.append(contentsOf: $0) }
        }
        try encoder.finish { out.append(contentsOf: $0) }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    @Test func anIntactSegmentVerifiesAsADirectoryAManifestAndADataFile() async throws {
        let dir = try sealedSegment()
        defer { dir.cleanup() }
        for path in [dir.path, dir.path + "/" + F.base + ".manifest.json", dir.path + "/" + F.base + ".tape.gz"] {
            let result = try await verify([path])
            #expect(result.status == 0, "\(path): \(result.output)")
            #expect(result.output.contains("OK   \(F.base).tape.gz: 400 records"))
        }
    }

    @Test func oneFlippedByteFails() async throws {
        let dir = try sealedSegment()
        defer { dir.cleanup() }
        let gz = dir.path + "/" + F.base + ".tape.gz"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: gz))
        let result = try await verify([dir.path])
        #expect(result.status != 0)
        #expect(result.output.contains("FAIL"))
        #expect(result.output.contains("SHA-256 of the data file"))
    }

    @Test func aMissingLineFailsEvenWithAValidGzipStream() async throws {
        let dir = try sealedSegment()
        defer { dir.cleanup() }
        try recompress(dir.path + "/" + F.base + ".tape.gz") { lines in
            var l = lines
            l.remove(at: 200)
            return l
        }
        let result = try await verify([dir.path])
        #expect(result.status != 0)
        #expect(result.output.contains("399 records, manifest says 400"))
        #expect(result.output.contains("SHA-256 of the decompressed lines"))
    }

    @Test func aWrongCountInTheManifestFails() async throws {
        let dir = try sealedSegment()
        defer { dir.cleanup() }
        let manifestPath = dir.path + "/" + F.base + ".manifest.json"
        let text = try String(contentsOfFile: manifestPath, encoding: .utf8)
        #expect(text.contains("\"records\": 400"))
        try text.replacingOccurrences(of: "\"records\": 400", with: "\"records\": 401")
            .write(toFile: manifestPath, atomically: false, encoding: .utf8)
        let result = try await verify([manifestPath])
        #expect(result.status != 0)
        #expect(result.output.contains("400 records, manifest says 401"))
    }

    @Test func linesOutOfOrderFailAsIdsNotIncreasing() async throws {
        let dir = try sealedSegment()
        defer { dir.cleanup() }
        try recompress(dir.path + "/" + F.base + ".tape.gz") { lines in
            var l = lines
            l.swapAt(10, 11)
            return l
        }
        let result = try await verify([dir.path])
        #expect(result.status != 0)
        #expect(result.output.contains("ids do not only increase"))
    }

    @Test func statsReportsCountsRatesAndLateCopies() async throws {
        let dir = try sealedSegment(count: 1001)
        defer { dir.cleanup() }
        let result = try await runTool(try DaemonProcessTests.binary("ticktape"), ["stats", dir.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("capture t: 1 sealed segment(s), 1001 records"))
        #expect(result.output.contains("btcusdt@bookTicker"))
        // 1001 lines 1 ms apart: 1000 msg/s; the job counted 2 late copies.
        #expect(result.output.contains("1000.0"))
        #expect(result.output.contains("1000 → 4000"))
    }
}
