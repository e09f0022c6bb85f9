import Crypto
import Foundation
import NIOPosix
import Testing
import TickTapeSimulator
import TickTapeTools

@testable import TickTape

/// The S3 sink against a real S3-compatible server (moto, signatures checked) behind a fault
/// proxy: every sealed segment archived once with its manifest, byte for byte (read back by an
/// independent boto3 client), through an outage and injected 5xx/throttling; an existing key
/// never overwritten; a multipart upload resumed after a restart.
@Suite(.serialized, .enabled(if: S3Server.available, "moto's server is not installed (pip install 'moto[server]')"))
struct S3SinkTests {
    /// Sealed segments of a capture directory: base name → (data MD5, size).
    static func sealed(_ directory: String) throws -> [String: (md5: String, size: Int)] {
        var out: [String: (String, Int)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".manifest.json") {
            let base = String(name.dropLast(".manifest.json".count))
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + base + ".tape.gz"))
            out[base] = (Insecure.MD5.hash(data: data).hex, data.count)
        }
        return out
    }

    @Test func everySealedSegmentIsArchivedOnceWithItsManifestThroughAnOutageAndInjectedFaults() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let s3 = try S3Server()
        defer { s3.stop() }
        let (idEnv, secretEnv) = s3.exportCredentials(prefix: "TT_S3_A")
        let count = 9_000
        let (simulator, engine, config) = try await PostgresSinkTests.startCapture(
            dir: dir.path, count: count, interval: .milliseconds(1), sink: s3.sinkBlock(idEnv: idEnv, secretEnv: secretEnv),
            storage: "flush_interval = \"20ms\"\nrotate_size = \"128KiB\"")
        let sinks = try SinkService(config: config, holds: engine.retentionHolds, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually { stats.segmentsUploaded.load(ordering: .relaxed) >= 2 })

        // The store goes away (every connection dropped) while segments keep sealing.
        try await s3.fault("drop", count: 1_000_000)
        let sealedAtOutage = try Self.sealed(dir.path + "/data/c").count
        #expect(await eventually { !stats.connected.load(ordering: .relaxed) })
        #expect(try await eventually { try Self.sealed(dir.path + "/data/c").count >= sealedAtOutage + 3 })
        let uploadedDuringOutage = stats.segmentsUploaded.load(ordering: .relaxed)
        #expect(stats.lagSegments.load(ordering: .relaxed) >= 1 || uploadedDuringOutage < sealedAtOutage + 3)
        // Back, but throttling and failing for a while: 503 SlowDown, 500, and PUTs whose
        // answers are lost after the store took them (the retry meets If-None-Match: 412).
        try await s3.fault("503", count: 3)
        try await Task.sleep(for: .milliseconds(400))  // let the 503s be taken before arming the next kind
        try await s3.fault("500", count: 2, match: "PUT")
        try await Task.sleep(for: .milliseconds(400))
        try await s3.fault("drop_after", count: 2, match: "PUT")

        #expect(await eventually(timeout: .seconds(60)) { simulator.messageCount >= count })
        #expect(await eventually(timeout: .seconds(30)) { engine.captures[0].writer.linesWritten.load(ordering: .relaxed) >= count })
        await engine.stop()
        try await simulator.stop()
        let local = try Self.sealed(dir.path + "/data/c")
        #expect(local.count >= 6)
        #expect(try readCaptureLines(dir.path + "/data/c").count == count, "capture unaffected by the sink's outage")
        #expect(await eventually(timeout: .seconds(60)) { stats.segmentsUploaded.load(ordering: .relaxed) >= local.count })
        await sinks.stop()
        #expect(stats.retries.load(ordering: .relaxed) > 0)
        #expect(stats.conflicts.load(ordering: .relaxed) == 0)

        // Independent read-back: exactly one data object and one manifest per sealed segment,
        // byte for byte the local files.
        let objects = try await s3.listing(prefix: "binance/raw/c/")
        #expect(objects.count == 2 * local.count, "\(objects.count) objects for \(local.count) segments")
        for (base, file) in local {
            let keys = S3ObjectKeys(prefix: "binance/raw", capture: "c", segment: base, host: "test-host")
            #expect(objects[keys.data]?.md5 == file.md5, "\(keys.data)")
            #expect(objects[keys.manifest] != nil, "\(keys.manifest)")
            let manifest = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/data/c/" + base + ".manifest.json"))
            #expect(objects[keys.manifest]?.md5 == Insecure.MD5.hash(data: manifest).hex)
        }
        // `ticktape verify s3://…` passes on what was archived.
        var archive = S3SinkConfig(bucket: s3.bucket, endpoint: try RestEndpoint.parse(s3.direct))
        archive.credentials = .environment(accessKeyID: idEnv, secretAccessKey: secretEnv, sessionToken: "TT_NONE")
        let outcome = try S3ArchiveVerifier.verify(config: archive, prefix: "binance/raw/c/")
        #expect(outcome.verified == local.count && outcome.failed == 0, "\(outcome.lines.filter { !$0.hasPrefix("OK") })")
    }

    @Test func anExistingKeyIsNeverOverwrittenAndAWrongSecretIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let s3 = try S3Server()
        defer { s3.stop() }
        let capture = dir.path + "/data/c"
        try FileManager.default.createDirectory(atPath: capture, withIntermediateDirectories: true)
        let bases = ["c-20261201T100000.000Z-000", "c-20261201T100100.000Z-001"]
        for base in bases {
            let source = try SealingFixture.writePlain(directory: capture, base: base, count: 500)
            var job = SealingFixture.job(directory: capture, base: base, source: source)
            job.capture = "c"
            _ = try SegmentSeal.seal(job, identity: SealingFixture.identity, health: SealingFixture.health)
        }
        // Another writer already put something else at the first segment's key.
        let keys = S3ObjectKeys(prefix: "binance/raw", capture: "c", segment: bases[0], host: "test-host")
        let group = MultiThreadedEventLoopGroup.singleton
        let foreign = Array("not ours".utf8)
        let direct = S3SinkConfig(bucket: s3.bucket, endpoint: try RestEndpoint.parse(s3.direct))
        let client = try S3Client(
            config: direct, credentials: S3Credentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey),
            eventLoop: group.next())
        _ = try client.putNew(
            key: keys.data, body: .init(bytes: foreign), sha256: Array(SHA256.hash(data: foreign)), md5: Array(Insecure.MD5.hash(data: foreign)))

        // A wrong secret: refused by the store's signature check, said in the sink's error.
        setenv("TT_S3_B_ID", s3.accessKeyID, 1)
        setenv("TT_S3_B_SECRET", "wrong" + s3.secretAccessKey, 1)
        let config = try makeConfig(
            dataDir: dir.path + "/data",
            captures: CaptureAgainstSimulatorTests.captureBlock(name: "c", url: "ws://127.0.0.1:9/ws/btcusdt@trade", connections: 1, extra: "books = false\nbars = []")
                + "\n" + s3.sinkBlock(idEnv: "TT_S3_B_ID", secretEnv: "TT_S3_B_SECRET"))
        do {
            let sinks = try SinkService(config: config, holds: nil, logger: testLogger)
            sinks.start()
            let stats = try #require(sinks.statistics.first)
            #expect(await eventually { stats.lastError?.contains("SignatureDoesNotMatch") == true })
            #expect(stats.segmentsUploaded.load(ordering: .relaxed) == 0)
            await sinks.stop()
        }
        // The right one: the second segment is archived, the first is a conflict, kept locally.
        setenv("TT_S3_B_SECRET", s3.secretAccessKey, 1)
        let sinks = try SinkService(config: config, holds: nil, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually { stats.segmentsUploaded.load(ordering: .relaxed) == 1 && stats.conflicts.load(ordering: .relaxed) == 1 })
        await sinks.stop()
        #expect(String(buffer: try client.get(key: keys.data)) == "not ours", "the existing object is untouched")
        #expect(FileManager.default.fileExists(atPath: capture + "/" + bases[0] + ".tape.gz"))
        let ledger = try String(contentsOfFile: dir.path + "/data/.sinks/archive/ledger.jsonl", encoding: .utf8)
        #expect(ledger.contains("\"conflict\"") && ledger.contains(bases[0]))
        let second = S3ObjectKeys(prefix: "binance/raw", capture: "c", segment: bases[1], host: "test-host")
        #expect(try client.head(key: second.manifest) != nil)
    }

    @Test func aMultipartUploadResumesAfterARestartWithoutADuplicateOrACorruptObject() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let s3 = try S3Server()
        defer { s3.stop() }
        let (idEnv, secretEnv) = s3.exportCredentials(prefix: "TT_S3_C")
        let capture = dir.path + "/data/c"
        try FileManager.default.createDirectory(atPath: capture, withIntermediateDirectories: true)
        // A segment of about 13 MB sealed: lines with random payloads, so gzip keeps most of it.
        let base = "c-20261201T110000.000Z-000"
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/".utf8)
        var text = [UInt8]()
        text.reserveCapacity(18 << 20)
        var stamp: Int64 = 1_764_583_200_000_000_000
        while text.count < 17 << 20 {
            text += Array("\(stamp) {\"stream\":\"btcusdt@x\",\"data\":{\"r\":\"".utf8)
            for _ in 0..<400 { text.append(alphabet[Int(rng.next() % 64)]) }
            text += Array("\"}}\n".utf8)
            stamp += 1_000
        }
        try Data(text).write(to: URL(fileURLWithPath: capture + "/" + base + ".tape"))
        var job = SealingFixture.job(directory: capture, base: base, source: capture + "/" + base + ".tape")
        job.capture = "c"
        let manifest = try SegmentSeal.seal(job, identity: SealingFixture.identity, health: SealingFixture.health)
        #expect(manifest.compressedBytes > 10 << 20)
        let config = try makeConfig(
            dataDir: dir.path + "/data",
            captures: CaptureAgainstSimulatorTests.captureBlock(name: "c", url: "ws://127.0.0.1:9/ws/btcusdt@trade", connections: 1, extra: "books = false\nbars = []")
                + "\n" + s3.sinkBlock(idEnv: idEnv, secretEnv: secretEnv, extra: "multipart_threshold = \"5MiB\"\npart_size = \"5MiB\""))
        // Part 2 fails until the sink is stopped: part 1 is confirmed and in the cursor.
        try await s3.fault("500", count: 1_000_000, match: "partNumber=2&")
        do {
            let sinks = try SinkService(config: config, holds: nil, logger: testLogger)
            sinks.start()
            let stats = try #require(sinks.statistics.first)
            let cursorPath = dir.path + "/data/.sinks/archive/c.cursor.json"
            #expect(await eventually(timeout: .seconds(60)) {
                ((try? String(contentsOfFile: cursorPath, encoding: .utf8)) ?? "").contains("\"n\":1")
            })
            #expect(await eventually { stats.errors.load(ordering: .relaxed) > 0 })
            await sinks.stop()
            #expect(stats.segmentsUploaded.load(ordering: .relaxed) == 0)
        }
        try await s3.fault("off")
        let sinks = try SinkService(config: config, holds: nil, logger: testLogger)
        sinks.start()
        let stats = try #require(sinks.statistics.first)
        #expect(await eventually(timeout: .seconds(60)) { stats.segmentsUploaded.load(ordering: .relaxed) == 1 })
        await sinks.stop()
        let keys = S3ObjectKeys(prefix: "binance/raw", capture: "c", segment: base, host: "test-host")
        let objects = try await s3.listing(prefix: "binance/raw/")
        #expect(objects.count == 2)
        let local = try Data(contentsOf: URL(fileURLWithPath: capture + "/" + base + ".tape.gz"))
        #expect(objects[keys.data]?.size == local.count)
        #expect(objects[keys.data]?.md5 == Insecure.MD5.hash(data: local).hex, "the stored object is the sealed file")
        // One upload created, part 1 sent once (resumed, not restarted), parts 2 and 3 once
        // they got through, one completion.
        let forwarded = try await s3.forwardedRequests()
        #expect(forwarded.filter { $0.hasPrefix("POST ") && $0.hasSuffix("?uploads") }.count == 1, "\(forwarded)")
        #expect(forwarded.filter { $0.hasPrefix("PUT ") && $0.contains("partNumber=1&") }.count == 1)
        #expect(forwarded.filter { $0.hasPrefix("PUT ") && $0.contains("partNumber=3&") }.count == 1)
        #expect(forwarded.filter { $0.hasPrefix("POST ") && $0.contains("?uploadId=") }.count == 1)
        let group = MultiThreadedEventLoopGroup.singleton
        let client = try S3Client(
            config: S3SinkConfig(bucket: s3.bucket, endpoint: try RestEndpoint.parse(s3.direct)),
            credentials: S3Credentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey), eventLoop: group.next())
        let head = try #require(try client.head(key: keys.data))
        #expect(head.first(name: "ETag")?.hasSuffix("-3\"") == true, "3 parts of 5 MiB")
        #expect(head.first(name: "x-amz-server-side-encryption") == "AES256")
    }
}
