#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import TickTape

/// `ticktape verify s3://bucket/prefix`: every archived segment under a prefix checked against
/// its archived manifest, exactly as a local one (``SegmentVerifier``): each manifest and its
/// data object are downloaded into a temporary directory under their local names and verified
/// there. A data object without its manifest (an upload that never finished) is reported.
package enum S3ArchiveVerifier {
    package struct Outcome: Sendable {
        /// One line per segment: `OK …` or `FAIL …` with the problems.
        package var lines: [String] = []
        package var verified = 0
        package var failed = 0
    }

    /// Lists `prefix` in `config`'s bucket and verifies what it finds. Throws when the store
    /// cannot be listed at all.
    package static func verify(config: S3SinkConfig, prefix: String) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let client = try S3Client(config: config, credentials: try S3Credentials.load(config.credentials), eventLoop: group.next())
        let keys = try client.list(prefix: prefix)
        var outcome = Outcome()
        let manifests = keys.filter { $0.key.hasSuffix(SegmentName.manifestSuffix) }.map(\.key)
        let names = Set(keys.map(\.key))
        for key in keys.map(\.key) where key.hasSuffix(SegmentName.sealedSuffix) {
            let manifestKey = String(key.dropLast(SegmentName.sealedSuffix.count)) + SegmentName.manifestSuffix
            if !names.contains(manifestKey) {
                outcome.failed += 1
                outcome.lines.append("FAIL \(key): no manifest beside it (an upload that did not finish)")
            }
        }
        let scratch = "/tmp/ticktape-verify-s3-\(getpid())"
        mkdir(scratch, 0o700)
        defer { _ = try? removeTree(scratch) }
        for manifestKey in manifests {
            outcome.verified += 1
            guard let local = S3ObjectKeys.localName(ofKey: manifestKey) else {
                outcome.failed += 1
                outcome.lines.append("FAIL \(manifestKey): not a name ticktape writes")
                continue
            }
            let dataKey = String(manifestKey.dropLast(SegmentName.manifestSuffix.count)) + SegmentName.sealedSuffix
            do {
                let manifestPath = scratch + "/" + local.segment + SegmentName.manifestSuffix
                try write(client.get(key: manifestKey).readableBytesView, to: manifestPath)
                if names.contains(dataKey) {
                    try write(client.get(key: dataKey).readableBytesView, to: scratch + "/" + local.segment + SegmentName.sealedSuffix)
                }
                let result = SegmentVerifier.verify(manifestPath: manifestPath)
                if result.ok, let m = result.manifest {
                    outcome.lines.append("OK   \(dataKey): \(m.records) records, \(m.streams.count) stream(s), \(m.gaps.count) gap(s), host \(local.host)")
                } else {
                    outcome.failed += 1
                    outcome.lines.append("FAIL \(dataKey)")
                    outcome.lines += result.problems.map { "     \($0)" }
                }
                unlink(manifestPath)
                unlink(scratch + "/" + local.segment + SegmentName.sealedSuffix)
            } catch {
                outcome.failed += 1
                outcome.lines.append("FAIL \(manifestKey): \(error)")
            }
        }
        return outcome
    }

    private static func write<C: Collection>(_ bytes: C, to path: String) throws where C.Element == UInt8 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SinkError.segments("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        let array = Array(bytes)
        try array.withUnsafeBytes { raw in try DurableFile.writeAll(fd, raw, path: path) }
    }

    private static func removeTree(_ path: String) throws {
        for name in (try? DurableFile.list(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }
}
