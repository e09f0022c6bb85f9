import Foundation
import Logging
import Testing
import TickTapeSimulator

@testable import TickTape

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "ticktape") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Builds a configuration through the real parser, the way an operator would write it.
/// The metrics endpoint is off unless a test asks for it: parallel engines would all want 9464.
func makeConfig(
    dataDir: String, storage: String = "", engine: String = "", telemetry: String = "listen = \"off\"",
    serve: String = "listen = \"off\"", captures: String
) throws -> TickTapeConfig {
    let text = """
        data_dir = "\(dataDir)"
        log_level = "warning"
        [engine]
        \(engine)
        [storage]
        \(storage)
        [telemetry]
        \(telemetry)
        [serve]
        \(serve)
        \(captures)
        """
    return try TickTapeConfig.parse(text, file: "test.toml")
}

/// A logger that prints warnings and above, so failing tests show why.
let testLogger: Logger = {
    var l = Logger(label: "ticktape.test")
    // `TICKTAPE_TEST_LOG=info` (or debug, trace) to see the engine's story while a test fails.
    l.logLevel = ProcessInfo.processInfo.environment["TICKTAPE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return l
}()

/// Every capture line under `directory/<capture>`, across segments in name order: sealed
/// (`.tape.gz`, decompressed) and plain (`.tape`, `.tape.open`; a plain file whose segment is
/// also sealed is skipped, so a segment caught mid-seal is not read twice).
///
/// A running daemon renames files under the reader's feet (`.tape.open` → `.tape` at close,
/// `.tape` → `.tape.gz` at seal, within a few hundred ms of each other when segments are
/// small): a file listed and gone by the time it is read is read under its next name.
func readCaptureLines(_ directory: String) throws -> [String] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory)
    let sealed = Set(names.filter { $0.hasSuffix(".tape.gz") }.map { String($0.dropLast(3)) })
    let files = names.filter {
        $0.hasSuffix(".tape.gz") || (($0.hasSuffix(".tape") || $0.hasSuffix(".tape.open")) && !sealed.contains($0))
    }.sorted()
    var lines: [String] = []
    for file in files {
        let base = file.hasSuffix(".tape.open") ? String(file.dropLast(5)) : file.hasSuffix(".tape.gz") ? String(file.dropLast(3)) : file
        let successors = [file, base, base + ".gz"].drop { $0 != file }
        var bytes: [UInt8]?
        var lastError: (any Error)?
        for name in successors where bytes == nil {
            let path = "\(directory)/\(name)"
            do {
                bytes = name.hasSuffix(".gz") ? try gunzip(path) : Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                lastError = error
            }
        }
        guard let bytes else { throw lastError! }
        let text = String(decoding: bytes, as: UTF8.self)
        lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
    }
    return lines
}

/// The decompressed content of a gzip file (the engine's own decoder).
func gunzip(_ path: String) throws -> [UInt8] {
    var out: [UInt8] = []
    let decoder = try GzipDecoder()
    try DurableFile.forEachChunk(path) { chunk in try decoder.decompress(chunk) { out.append(contentsOf: $0) } }
    try decoder.finish()
    return out
}

/// Whether the files of a stopped capture are all sealed: data files with manifests (and the
/// gap ledger), nothing open or unsealed.
func allSegmentsSealed(_ files: [String]) -> Bool {
    let data = files.filter { $0.hasSuffix(".tape.gz") }
    return !data.isEmpty
        && files.allSatisfy { $0.hasSuffix(".tape.gz") || $0.hasSuffix(".manifest.json") || $0 == "gaps.jsonl" }
        && data.allSatisfy { files.contains(String($0.dropLast(".tape.gz".count)) + ".manifest.json") }
}

/// Splits a capture line into its receive stamp and the frame.
func splitLine(_ line: String) -> (Int64, String)? {
    guard let space = line.firstIndex(of: " "), let ns = Int64(line[..<space]) else { return nil }
    return (ns, String(line[line.index(after: space)...]))
}

/// Polls `condition` until true or `timeout` elapses.
func eventually(timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}

/// The bookTicker `u` of a frame, read with the engine's own scanner.
func updateID(_ frame: String) -> Int64? {
    Array(frame.utf8).withUnsafeBytes { FrameScanner.scan($0).updateID }
}

/// The update ids of every line captured under `directory`, in file order.
func capturedIDs(_ directory: String) throws -> [Int64] {
    try readCaptureLines(directory).map { line in
        let frame = try #require(splitLine(line)).1
        return try #require(updateID(frame), "line without an update id: \(line.prefix(120))")
    }
}

/// The update ids the simulator wrote to connections `connections`, from its own send log.
func deliveredIDs(_ simulator: ExchangeSimulator, connections: Range<Int>) -> Set<Int64> {
    var ids = Set<Int64>()
    for k in connections {
        for index in simulator.sentMessages(connection: k) {
            if let id = updateID(simulator.frame(message: index, combined: true)) { ids.insert(id) }
        }
    }
    return ids
}
