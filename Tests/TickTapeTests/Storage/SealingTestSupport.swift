import Foundation
import Testing

@testable import TickTape

/// Helpers shared by the sealing, recovery, retention and verify tests.
enum SealingFixture {
    /// A bookTicker line as the merger writes it: `<ns> <combined frame>`.
    static func line(_ i: Int, stamp: Int64 = 1_763_700_000_000_000_000, stream: String = "btcusdt@bookTicker") -> String {
        let symbol = stream.split(separator: "@")[0].uppercased()
        return "\(stamp + Int64(i) * 1_000_000) {\"stream\":\"\(stream)\",\"data\":{\"e\":\"bookTicker\",\"u\":\(1000 + i * 3),"
            + "\"s\":\"\(symbol)\",\"b\":\"97000.10\",\"B\":\"1.5\",\"a\":\"97000.20\",\"A\":\"0.7\",\"T\":1763700000000,\"E\":1763700000001}}"
    }

    /// Writes `count` lines (and `tail` bytes of a torn last line) to `directory/<base><suffix>`.
    @discardableResult
    static func writePlain(
        directory: String, base: String, suffix: String = SegmentName.closedSuffix, count: Int, tail: String = ""
    ) throws -> String {
        let text = (0..<count).map { line($0) + "\n" }.joined() + tail
        let path = directory + "/" + base + suffix
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    static let identity = SealIdentity(host: "test-host", configDigest: "sha256:test")
    /// Where the sealing functions report directory fsync failures in these tests.
    static let health = StorageHealth(logger: testLogger)

    static func job(directory: String, base: String, source: String, recovered: Bool = false) -> SealJob {
        SealJob(
            source: source, directory: directory, base: base, capture: "t", recovered: recovered,
            startedAt: SegmentName.startNanos(of: base) ?? 0, endedAt: recovered ? nil : 1_763_700_100_000_000_000,
            gaps: recovered ? nil : [], merge: recovered ? nil : ["btcusdt@bookTicker": Self.mergeReport],
            clock: [ClockSyncState.sample()])
    }

    static let base = "t-20251121T045320.000Z-000"

    /// Two late copies, one placed and one dropped; one hole filled after 1.5 ms, one expired.
    static let mergeReport: StreamMergeReport = {
        var r = StreamMergeReport()
        r.counts.lateCopies = 2
        r.counts.latePlaced = 1
        r.counts.lateDropped = 1
        r.counts.holesFilled = 1
        r.counts.holesExpired = 1
        r.fillDelayP50 = 1_500_000
        r.fillDelayP99 = 1_500_000
        r.fillDelayMax = 1_500_000
        return r
    }()
}

/// Runs an executable to completion; returns its exit status and everything it printed.
func runTool(_ path: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
    let dir = try TemporaryDirectory("ticktape-tool")
    defer { dir.cleanup() }
    let log = dir.path + "/out.log"
    let p = try DaemonProcessTests.launch(path, arguments, log: log)
    let exited = await DaemonProcessTests.waitForExit(p, timeout: timeout)
    if !exited { p.terminate() }
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return (exited ? p.terminationStatus : -1, output)
}

/// A `ticktaped` process and the simulator it captures from, for the durability tests.
struct DurabilityRig {
    /// First update id of the simulator's first symbol; the n-th message has id base + 10n + (0...9).
    static let updateIDBase: Int64 = 5_000_000_000_000

    /// The simulator's message number of a bookTicker line (`u` → ordinal), nil if unreadable.
    static func ordinal(of line: String) -> Int64? {
        guard let frame = splitLine(line)?.1 else { return nil }
        let u = Array(frame.utf8).withUnsafeBytes { FrameScanner.scan($0).updateID }
        return u.map { ($0 - updateIDBase) / 10 }
    }

    /// Launches `ticktaped` with extra environment variables.
    static func launchDaemon(config: String, log: String, environment extra: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try DaemonProcessTests.binary("ticktaped"))
        p.arguments = ["--config", config]
        var env = ProcessInfo.processInfo.environment.filter {
            !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"].contains($0.key)
        }
        for (k, v) in extra { env[k] = v }
        p.environment = env
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        p.standardError = handle
        p.standardOutput = handle
        try p.run()
        return p
    }

    static func logText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
}
