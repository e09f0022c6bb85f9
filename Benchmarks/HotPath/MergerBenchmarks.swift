import Benchmark
import Foundation
import Logging
import NIOCore
import TickTape

/// The merger per message with 4 copies of each (four connections carrying the same
/// bookTicker stream): scan + UTF-8 check of every copy, first arrival wins, the winner
/// appended to the write buffer, 3 duplicates counted. With telemetry off and on: the
/// difference is telemetry's cost per message.
func registerMergerBenchmarks() {
    for telemetry in [false, true] {
        let rig = Holder<MergerRig>()
        Benchmark(
            telemetry ? "Telemetry/merger, 4 copies, telemetry on" : "Merger/4 copies, telemetry off",
            closure: { benchmark in rig.value!.processBatch(benchmark) },
            setup: { rig.value = try MergerRig(telemetry: telemetry) },
            teardown: {
                await rig.value?.finish()
                rig.value = nil
            })
    }
}

/// A capture as the engine builds it, without sockets: four connections with their rings, a
/// ``CaptureMerger`` and a started ``SegmentWriter`` whose thread write(2)s the filled
/// buffers to a temporary directory (default storage settings except 64 MiB segments, each
/// deleted once closed so the disk does not fill).
final class MergerRig {
    static let connections = 4
    let directory: String
    let writer: SegmentWriter
    let statistics: [ConnectionStatistics]
    let rings: [SPSCRing<InboundFrame>]
    let merger: CaptureMerger
    let pool = MessagePool(count: messagesPerIteration)
    private var batches = 0

    init(telemetry: Bool) throws {
        directory = try makeTemporaryDirectory()
        var logger = Logger(label: "ticktape.bench")
        logger.logLevel = .warning
        writer = try SegmentWriter(
            capture: "bench", dataDirectory: directory, storage: StorageConfig(rotateSize: 64 << 20), logger: logger,
            onSegmentClosed: { segment in _ = unlink(segment.path) })
        writer.start()
        statistics = (0..<Self.connections).map { ConnectionStatistics(index: $0) }
        for s in statistics {
            s.connected.store(true, ordering: .relaxed)
            s.links.store(1, ordering: .relaxed)
        }
        rings = statistics.map { _ in SPSCRing(capacity: 65_536) }
        let recorder =
            telemetry
            ? CaptureTelemetry(name: "bench", interval: .seconds(1), ringCapacity: 65_536, arrivals: nil) : nil
        merger = CaptureMerger(
            name: "bench", rings: rings, connections: statistics, writer: writer, latePolicy: .drop,
            flushInterval: .milliseconds(100), logger: logger, telemetry: recorder)
    }

    /// One iteration: 1,000 messages × 4 copies through `process`, in bursts of 250 per
    /// connection (the merger drains a ring up to 256 frames at a time); which connection
    /// delivers first rotates from burst to burst. `flushIfDue` runs after every burst, as
    /// the merger loop does every ~1,024 frames.
    func processBatch(_ benchmark: Benchmark) {
        pool.renumber()
        let buffers = pool.buffers
        let stamps = pool.receivedAt
        measured(benchmark) {
            var m = 0
            var burst = batches
            while m < messagesPerIteration {
                let end = m + 250
                for order in 0..<Self.connections {
                    let k = (order + burst) % Self.connections
                    let delay = Int64(order) * 30_000
                    for i in m..<end {
                        merger.process(InboundFrame(receivedAt: stamps[i] + delay, payload: buffers[i]), from: k)
                    }
                }
                merger.flushIfDue(now: WallClock.monotonicNanos())
                m = end
                burst += 1
            }
        }
        batches += 1
    }

    /// One iteration of the combined hot path: every copy pushed into its connection's ring
    /// (as the four event loops do), then drained by `poll(budget: 256)` (scan, merge, append
    /// to the write buffer), `flushIfDue` after each burst.
    func hotPathBatch(_ benchmark: Benchmark) {
        pool.renumber()
        let buffers = pool.buffers
        let stamps = pool.receivedAt
        measured(benchmark) {
            var m = 0
            while m < messagesPerIteration {
                let end = m + 250
                for i in m..<end {
                    let payload = buffers[i]
                    let at = stamps[i]
                    for k in 0..<Self.connections {
                        _ = rings[k].push(InboundFrame(receivedAt: at + Int64(k) * 30_000, payload: payload))
                    }
                }
                _ = merger.poll(budget: 256)
                merger.flushIfDue(now: WallClock.monotonicNanos())
                m = end
            }
        }
        batches += 1
    }

    /// Checks that every message was emitted once and every other copy counted a duplicate,
    /// stops the writer and removes the directory.
    func finish() async {
        merger.flushNow()
        await writer.finish()
        let messages = batches * messagesPerIteration
        let emitted = merger.statistics.emitted.load(ordering: .relaxed)
        let duplicates = statistics.reduce(0) { $0 + $1.duplicates.load(ordering: .relaxed) }
        let written = writer.linesWritten.load(ordering: .relaxed)
        if emitted != messages || duplicates != messages * (Self.connections - 1) || written != messages {
            fatalError(
                "merger rig: \(messages) messages, \(emitted) emitted, \(written) written, \(duplicates) duplicates")
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A fresh `/tmp/ticktape-bench.XXXXXX` directory.
func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/ticktape-bench.XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
    guard made else { throw BenchmarkSetupError(message: "mkdtemp failed (errno \(errno))") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

struct BenchmarkSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
