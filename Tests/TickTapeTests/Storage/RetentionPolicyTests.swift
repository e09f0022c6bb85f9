import Foundation
import Testing

@testable import TickTape

@Suite struct RetentionPolicyTests {
    typealias F = SealingFixture

    /// Seals `count` segments one minute apart (by name), returns their base names.
    func sealSegments(_ dir: String, count: Int, start: Int64 = 1_763_700_000_000_000_000) throws -> [String] {
        var bases: [String] = []
        for k in 0..<count {
            let base = "t-\(SegmentFile.utcStamp(nanos: start + Int64(k) * 60_000_000_000))-000"
            let source = try F.writePlain(directory: dir, base: base, count: 200)
            var job = F.job(directory: dir, base: base, source: source)
            job.endedAt = start + Int64(k + 1) * 60_000_000_000
            _ = try SegmentSeal.seal(job, identity: F.identity, health: F.health)
            bases.append(base)
        }
        return bases
    }

    @Test func ageDeletesOnlySealedSegmentsThatEndedLongerAgo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bases = try sealSegments(dir.path, count: 4)
        let open = try F.writePlain(directory: dir.path, base: "t-20200101T000000.000Z-000", suffix: ".tape.open", count: 5)
        var cache: [String: Int64] = [:]
        let inventory = try RetentionPolicy.inventory(directory: dir.path, endTimes: &cache)
        #expect(inventory.sealed.count == 4, "the open segment is never a candidate, however old its name")
        let policy = RetentionPolicy(maximumAge: .seconds(90))
        let now: Int64 = 1_763_700_000_000_000_000 + 4 * 60_000_000_000
        let doomed = policy.selectForDeletion(sealed: inventory.sealed, totalBytes: inventory.totalBytes, now: now)
        #expect(doomed.map(\.base) == [bases[0], bases[1]])
        for segment in doomed { #expect(RetentionPolicy.delete(segment, directory: dir.path, health: F.health) == nil) }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!left.contains { $0.hasPrefix(bases[0]) || $0.hasPrefix(bases[1]) })
        #expect(left.contains(bases[2] + ".tape.gz") && left.contains(bases[3] + ".manifest.json"))
        #expect(FileManager.default.fileExists(atPath: open))
    }

    @Test func sizeDeletesOldestFirstUntilTheCaptureFits() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bases = try sealSegments(dir.path, count: 5)
        var cache: [String: Int64] = [:]
        let inventory = try RetentionPolicy.inventory(directory: dir.path, endTimes: &cache)
        let each = inventory.sealed[0].bytes
        let policy = RetentionPolicy(maximumBytes: inventory.totalBytes - each - 1)
        let doomed = policy.selectForDeletion(sealed: inventory.sealed, totalBytes: inventory.totalBytes, now: 0)
        #expect(doomed.map(\.base) == [bases[0], bases[1]], "one segment is not quite enough; two are")
        #expect(RetentionPolicy(maximumBytes: inventory.totalBytes).selectForDeletion(
            sealed: inventory.sealed, totalBytes: inventory.totalBytes, now: 0).isEmpty)
    }

    @Test func theSealerReportsWhatTheFolderHoldsAndWhatWasSealedTodayUTC() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let day: Int64 = 86_400_000_000_000
        let todayStarts = WallClock.realtimeNanos() / day * day
        // Two segments that ended yesterday (UTC), three that end today, one still open.
        _ = try sealSegments(dir.path, count: 2, start: todayStarts - 3_600_000_000_000)
        _ = try sealSegments(dir.path, count: 3, start: todayStarts + 1_000_000_000)
        _ = try F.writePlain(directory: dir.path, base: "t-20200101T000000.000Z-000", suffix: ".tape.open", count: 5)
        let sealer = SegmentSealer(capture: "t", directory: dir.path, identity: F.identity, retention: RetentionPolicy(), logger: testLogger)
        sealer.start()
        let listed = await eventually(timeout: .seconds(10)) { sealer.onDisk.listedAt > 0 }
        await sealer.finish()
        try #require(listed)
        let figures = sealer.onDisk
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let bytes = try names.reduce(Int64(0)) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: dir.path + "/" + $1)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        #expect(figures.bytes == bytes, "every file of the folder, open segment included")
        #expect(figures.sealedSegments == 5)
        #expect(figures.sealedToday == 3, "\(figures)")
    }

    @Test func theSealerAppliesRetentionAndLogsEachDeletion() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let bases = try sealSegments(dir.path, count: 3, start: 1_000_000_000_000_000_000)  // 2001: long ago
        let handler = CollectingLogHandler.Store()
        var logger = Logger(label: "retention") { _ in CollectingLogHandler(store: handler) }
        logger.logLevel = .info
        let sealer = SegmentSealer(
            capture: "t", directory: dir.path, identity: F.identity,
            retention: RetentionPolicy(maximumAge: .seconds(3600)), logger: logger)
        sealer.start()
        let gone = await eventually(timeout: .seconds(10)) { sealer.deletedCount.load(ordering: .relaxed) == 3 }
        await sealer.finish()
        #expect(gone)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left.isEmpty, "\(left)")
        let lines = handler.messages.filter { $0.contains("retention: deleted sealed segment") }
        #expect(lines.count == 3)
        #expect(bases.allSatisfy { b in lines.contains { $0.contains(b) } })
    }
}

import Logging
import Synchronization

/// A log handler that keeps every message with its metadata, for tests that check logging.
struct CollectingLogHandler: LogHandler {
    final class Store: Sendable {
        private let lines = Mutex<[String]>([])
        var messages: [String] { lines.withLock { $0 } }
        func append(_ s: String) { lines.withLock { $0.append(s) } }
    }
    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let meta = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        store.append("\(event.level) \(event.message) \(meta)")
    }
}
