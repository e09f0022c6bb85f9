import Foundation
import Testing

@testable import TickTape
@testable import TickTapeTools

@Suite struct SegmentSealTests {
    typealias F = SealingFixture

    @Test func sealingWritesGzipAndAManifestThatDescribesIt() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let source = try F.writePlain(directory: dir.path, base: F.base, count: 500)
        let plain = try Data(contentsOf: URL(fileURLWithPath: source))
        let manifest = try SegmentSeal.seal(F.job(directory: dir.path, base: F.base, source: source), identity: F.identity, health: F.health)

        #expect(!FileManager.default.fileExists(atPath: source), "the plain source is removed once sealed")
        let gzPath = dir.path + "/" + F.base + ".tape.gz"
        #expect(try gunzip(gzPath) == Array(plain), "the data file holds exactly the lines")
        let onDisk = try SegmentManifest.read(path: dir.path + "/" + F.base + ".manifest.json")
        #expect(onDisk == manifest)
        #expect(manifest.records == 500)
        #expect(manifest.rawBytes == Int64(plain.count))
        #expect(manifest.compressedBytes == Int64(try Data(contentsOf: URL(fileURLWithPath: gzPath)).count))
        #expect(manifest.capture == "t" && manifest.host == "test-host" && manifest.configDigest == "sha256:test")
        #expect(manifest.ticktapeVersion == TickTapeVersion.current)
        #expect(manifest.streams.count == 1)
        let stream = try #require(manifest.streams.first)
        #expect(stream.name == "btcusdt@bookTicker" && stream.count == 500)
        #expect(stream.firstID == 1000 && stream.lastID == 1000 + 499 * 3)
        #expect(stream.lateLines == 0 && stream.lateCopies == 2)
        #expect(stream.merge == F.mergeReport, "the merger's counts reach the manifest")
        #expect(onDisk.streams.first?.merge == F.mergeReport, "and survive a round trip through JSON")
        #expect(!manifest.recovered && manifest.discardedBytes == 0)
        #expect(manifest.clock.count == 1)
        let sum = try await runTool("/usr/bin/sha256sum", [gzPath])
        #expect(sum.output.hasPrefix(manifest.sha256), "the manifest's SHA-256 is the data file's, as sha256sum computes it")
        #expect(SegmentVerifier.verify(manifestPath: dir.path + "/" + F.base + ".manifest.json").ok)
    }

    @Test func sealedDataIsReadByGzipAndPythonAsLinesOfNanosecondsAndJSON() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let source = try F.writePlain(directory: dir.path, base: F.base, count: 2000)
        _ = try SegmentSeal.seal(F.job(directory: dir.path, base: F.base, source: source), identity: F.identity, health: F.health)
        let gzPath = dir.path + "/" + F.base + ".tape.gz"
        let gzip = try await runTool("/bin/sh", ["-c", "gzip -dc '\(gzPath)' | wc -l"])
        #expect(gzip.status == 0)
        #expect(gzip.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2000")
        let check = try await runTool(
            "/usr/bin/python3",
            [
                "-c",
                """
                import gzip, json, re, sys
                n = 0
                with gzip.open(sys.argv[1], "rb") as f:
                    for line in f:
                        m = re.fullmatch(rb"([0-9]+) (.*)\\n", line, re.S)
                        assert m, line
                        json.loads(m.group(2))
                        n += 1
                print("lines", n)
                """,
                gzPath,
            ])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("lines 2000"))
    }

    @Test func recoveryCutsAtTheLastCompleteLineAndKeepsTheUntouchedSource() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let torn = String(F.line(300).prefix(37))
        let source = try F.writePlain(directory: dir.path, base: F.base, suffix: ".tape.open", count: 300, tail: torn)
        let original = try Data(contentsOf: URL(fileURLWithPath: source))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: dir.path + "/" + F.base + ".tape.gz.tmp"))
        var log: [String] = []
        let jobs = try SegmentRecovery.jobs(directory: dir.path, capture: "t", health: F.health) { log.append($0) }
        #expect(jobs.count == 1 && jobs[0].recovered && jobs[0].source == source)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/" + F.base + ".tape.gz.tmp"), "incomplete temporaries go")
        let manifest = try SegmentSeal.seal(jobs[0], identity: F.identity, health: F.health)
        #expect(manifest.recovered)
        #expect(manifest.records == 300)
        #expect(manifest.discardedBytes == Int64(torn.utf8.count) && manifest.discardedLines == 1)
        #expect(manifest.recoveredFrom == F.base + ".tape.recovered")
        #expect(manifest.streams.first?.lateCopies == nil, "late copies are unknown after a crash")
        let kept = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + F.base + ".tape.recovered"))
        #expect(kept == original, "the source is kept byte for byte")
        #expect(!FileManager.default.fileExists(atPath: source))
        #expect(SegmentVerifier.verify(manifestPath: dir.path + "/" + F.base + ".manifest.json").ok)
        #expect(log.contains { $0.contains("recovering") })
    }

    @Test func recoveryLeavesAnExistingDataFileWithOtherContentAlone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let source = try F.writePlain(directory: dir.path, base: F.base, count: 50)
        let foreign = dir.path + "/" + F.base + ".tape.gz"
        let foreignBytes = Data([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4])
        try foreignBytes.write(to: URL(fileURLWithPath: foreign))
        let jobs = try SegmentRecovery.jobs(directory: dir.path, capture: "t", health: F.health) { _ in }
        #expect(jobs.count == 1)
        #expect(throws: (any Error).self) { try SegmentSeal.seal(jobs[0], identity: F.identity, health: F.health) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == foreignBytes, "never overwritten")
        #expect(FileManager.default.fileExists(atPath: source), "the source stays unsealed")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/" + F.base + ".manifest.json"))
    }

    @Test func recoveryAdoptsADataFileThatAnInterruptedSealAlreadyPublished() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // A first seal ran to the data file, then "crashed" before the manifest.
        let source = try F.writePlain(directory: dir.path, base: F.base, count: 80)
        let text = try Data(contentsOf: URL(fileURLWithPath: source))
        let first = try SegmentSeal.seal(F.job(directory: dir.path, base: F.base, source: source), identity: F.identity, health: F.health)
        try FileManager.default.removeItem(atPath: dir.path + "/" + F.base + ".manifest.json")
        try text.write(to: URL(fileURLWithPath: source))
        let jobs = try SegmentRecovery.jobs(directory: dir.path, capture: "t", health: F.health) { _ in }
        let second = try SegmentSeal.seal(jobs[0], identity: F.identity, health: F.health)
        #expect(second.sha256 == first.sha256 && second.recovered)
        #expect(SegmentVerifier.verify(manifestPath: dir.path + "/" + F.base + ".manifest.json").ok)
    }

    @Test func aPlainFileWhoseSegmentIsSealedIsSetAsideNotDeleted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let source = try F.writePlain(directory: dir.path, base: F.base, count: 10)
        let text = try Data(contentsOf: URL(fileURLWithPath: source))
        _ = try SegmentSeal.seal(F.job(directory: dir.path, base: F.base, source: source), identity: F.identity, health: F.health)
        try text.write(to: URL(fileURLWithPath: source))  // the crash came before the source was removed
        let jobs = try SegmentRecovery.jobs(directory: dir.path, capture: "t", health: F.health) { _ in }
        #expect(jobs.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + F.base + ".tape.recovered")) == text)
    }

    @Test func nameStampsParseBackToTheirInstant() {
        let ns: Int64 = 1_763_700_800_123_000_000
        let base = "cap-\(SegmentFile.utcStamp(nanos: ns))-002"
        #expect(SegmentName.startNanos(of: base) == ns)
        #expect(SegmentName.base(of: base + ".tape.open") == base)
        #expect(SegmentName.base(of: base + ".manifest.json") == base)
    }
}
