import ArgumentParser
import TickTape
import TickTapeTools

#if canImport(Glibc)
import Glibc
#endif

/// `ticktape verify`: checks sealed segments against their manifests.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check sealed capture segments against their manifests; exit 1 on any mismatch.",
        discussion: """
            PATH is a manifest (*.manifest.json), a sealed data file (*.tape.gz), or a directory (a capture
            directory or the whole data_dir). For each segment: SHA-256 of the data file, a complete gzip
            stream, the decompressed bytes and their SHA-256, every line `<ns> <frame>`, the record count,
            and per stream the count, first and last id, and ids increasing. Gaps are listed. Segments not
            yet sealed (*.tape.open, or *.tape without a manifest) are listed and do not fail the run.

            s3://BUCKET/PREFIX checks an S3 archive instead: every archived manifest and its data object,
            downloaded and checked the same way, and data objects without a manifest. The endpoint, region
            and credentials come from the s3 sink of --config (the one named by --sink), or from --endpoint
            and --region with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
            """)

    @Argument(help: "Segments, manifests or directories.")
    var paths: [String]

    @Flag(help: "Print only failures and the summary.")
    var quiet = false

    @Option(help: "For s3:// paths: the configuration whose s3 sink gives endpoint, region and credentials.")
    var config: String?

    @Option(help: "For s3:// paths with --config: the sink's name (default: its only s3 sink).")
    var sink: String?

    @Option(help: "For s3:// paths without --config: the store's URL (default AWS's for --region).")
    var endpoint: String?

    @Option(help: "For s3:// paths without --config: the region.")
    var region = "us-east-1"

    func run() throws {
        if paths.contains(where: { $0.hasPrefix("s3://") }) {
            guard paths.allSatisfy({ $0.hasPrefix("s3://") }) else {
                printError("give either s3:// archives or local paths, not both")
                throw ExitCode(2)
            }
            try verifyArchives()
            return
        }
        let found = SegmentLocator.find(paths)
        let progress = TerminalProgress()
        var failed = 0
        var gapCount = 0
        for problem in found.problems {
            print("FAIL \(problem)")
            failed += 1
        }
        for (i, manifestPath) in found.manifests.enumerated() {
            let name = SegmentReport.fileName(manifestPath)
            let result = SegmentVerifier.verify(manifestPath: manifestPath) { done, total in
                progress.show("[\(i + 1)/\(found.manifests.count)] \(name) \(total > 0 ? done * 100 / total : 100)%")
            }
            progress.clear()
            let gaps = result.manifest?.gaps ?? []
            gapCount += gaps.count
            if result.ok {
                if !quiet {
                    let m = result.manifest!
                    var line = "OK   \(m.dataFile): \(m.records) records, \(m.streams.count) stream(s), \(gaps.count) gap(s)"
                    if m.recovered { line += ", recovered (\(m.discardedBytes) bytes discarded)" }
                    print(line)
                }
            } else {
                failed += 1
                print("FAIL \(result.manifest?.dataFile ?? manifestPath)")
                for problem in result.problems { print("     \(problem)") }
            }
            if !quiet || !result.ok {
                for gap in gaps { print("     gap \(gap.summary)") }
            }
        }
        for path in found.unsealed where !quiet {
            print("---- \(SegmentReport.fileName(path)): not sealed (being written, or waiting for the sealer or for recovery)")
        }
        let verified = found.manifests.count
        print(
            "\(verified) segment(s) checked: \(verified - (failed - found.problems.count)) OK, \(failed) failed, \(gapCount) gap(s), \(found.unsealed.count) not sealed"
        )
        if verified == 0 && found.problems.isEmpty {
            printError("no sealed segments found under \(paths.joined(separator: " "))")
            throw ExitCode(1)
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

extension Verify {
    /// `s3://bucket/prefix` arguments.
    func verifyArchives() throws {
        var failed = 0
        var verified = 0
        for path in paths {
            let rest = path.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
            var s3: S3SinkConfig
            if let config {
                let loaded = try TickTapeConfig.load(path: config)
                let candidates = loaded.sinks.compactMap { sink -> (String, S3SinkConfig)? in
                    if case .s3(let s3) = sink.target { return (sink.name, s3) }
                    return nil
                }.filter { sink == nil || $0.0 == sink }
                guard candidates.count == 1 else {
                    printError(candidates.isEmpty ? "\(config) has no s3 sink\(sink.map { " named \($0)" } ?? "")" : "\(config) has several s3 sinks; name one with --sink")
                    throw ExitCode(2)
                }
                s3 = candidates[0].1
                s3.bucket = bucket
            } else {
                var parsed: RestEndpoint?
                if let endpoint {
                    do { parsed = try RestEndpoint.parse(endpoint) } catch {
                        printError("--endpoint: \(error.message)")
                        throw ExitCode(2)
                    }
                }
                s3 = S3SinkConfig(bucket: bucket, endpoint: parsed, region: region)
            }
            guard S3SinkConfig.isValidBucket(bucket) else {
                printError("\(path): \(bucket.debugDescription) is not a bucket name")
                throw ExitCode(2)
            }
            let outcome = try S3ArchiveVerifier.verify(config: s3, prefix: prefix)
            for line in outcome.lines where !quiet || !line.hasPrefix("OK") { print(line) }
            failed += outcome.failed
            verified += outcome.verified
        }
        print("\(verified) archived segment(s) checked: \(verified - min(failed, verified)) OK, \(failed) failed")
        if verified == 0 {
            printError("no archived segments found under \(paths.joined(separator: " "))")
            throw ExitCode(1)
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

/// A one-line progress display on stderr, only when stderr is a terminal.
final class TerminalProgress {
    private let enabled = isatty(2) == 1
    private var lastLength = 0
    private var lastShownAt: Int64 = 0

    func show(_ text: String) {
        guard enabled else { return }
        let now = WallClock.monotonicNanos()
        guard now - lastShownAt > 100_000_000 else { return }
        lastShownAt = now
        let padded = text + String(repeating: " ", count: max(0, lastLength - text.count))
        lastLength = text.count
        var line = "\r" + padded
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    func clear() {
        guard enabled, lastLength > 0 else { return }
        var line = "\r" + String(repeating: " ", count: lastLength) + "\r"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        lastLength = 0
        lastShownAt = 0
    }
}

/// Formatting shared by `verify` and `stats`.
enum SegmentReport {
    static func fileName(_ path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    static func seconds(_ ns: Int64) -> String {
        let s = Double(ns) / 1e9
        return s >= 100 ? String(Int(s.rounded())) : String((s * 1000).rounded() / 1000)
    }
}
