import Foundation
import Logging
import Testing

@testable import TickTape

/// Defect 2 of issue #12: the buffer rings are sized at start while `max_buffered` and
/// `buffer_size` are read live. These tests drive the merger side (`acquireBuffer`,
/// `submit`) and the writer thread directly; the writer's `finish()` joins its thread, so
/// "everything submitted has been written" is known without waiting for anything.
@Suite struct SegmentWriterBufferAccountingTests {
    static let size = 4096

    func makeWriter(_ dir: TemporaryDirectory, maxBuffers: Int) throws -> (SegmentWriter, StorageConfig) {
        let storage = StorageConfig(
            fsync: .never, bufferSize: Self.size, maxBuffered: Int64(maxBuffers * Self.size))
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: storage, logger: testLogger, writeTimeLog: .some(nil))
        return (writer, storage)
    }

    /// Acquires buffers until the writer refuses (or `limit`), each holding one line.
    func acquireAll(_ writer: SegmentWriter, limit: Int) -> [LineBuffer] {
        var out: [LineBuffer] = []
        while out.count < limit, let b = writer.acquireBuffer(minimum: 64) {
            let line = Array(#"{"e":"trade","t":1}"#.utf8)
            _ = line.withUnsafeBytes { b.append(receivedAt: 1_700_000_000_000_000_000 + Int64(out.count), payload: $0) }
            out.append(b)
        }
        return out
    }

    /// Runs the writer thread until everything submitted is written, then stops it.
    func drain(_ writer: SegmentWriter) async {
        writer.start()
        await writer.finish()
    }

    @Test func raisingMaxBufferedLiveDuringAStallNeverOverflowsTheRings() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let log = CollectingLogHandler.Store()
        let logger = Logger(label: "writer") { _ in CollectingLogHandler(store: log) }
        let storage = StorageConfig(fsync: .never, bufferSize: Self.size, maxBuffered: Int64(16 * Self.size))
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: storage, logger: logger, writeTimeLog: .some(nil))
        var raised = storage
        raised.maxBuffered = Int64(100_000 * Self.size)
        writer.update(storage: raised)
        #expect(log.messages.contains { $0.hasPrefix("warning max_buffered is clamped") }, "the clamp is logged")
        // The writer thread is not running: a disk stall. Every buffer the merger may have
        // must fit in the filled ring (this used to trip `precondition(pushed)`).
        let buffers = acquireAll(writer, limit: 100_000)
        #expect(buffers.count < 100_000, "the live limit is clamped to what the rings hold")
        #expect(buffers.count >= 16, "at least what the start-time limit allowed")
        for b in buffers { writer.submit(b) }
        await drain(writer)
        #expect(writer.linesWritten.load(ordering: .relaxed) == buffers.count)
        // Every buffer came back: as many can be had again.
        #expect(acquireAll(writer, limit: 100_000).count == buffers.count)
    }

    @Test func shrinkingBufferSizeLiveNeverOverflowsTheRings() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let storage = StorageConfig(fsync: .never, bufferSize: 64 * Self.size, maxBuffered: Int64(1024 * Self.size))
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: storage, logger: testLogger, writeTimeLog: .some(nil))
        var smaller = storage
        smaller.bufferSize = Self.size
        writer.update(storage: smaller)
        let buffers = acquireAll(writer, limit: 100_000)
        #expect(buffers.count >= 16)
        for b in buffers { writer.submit(b) }
        await drain(writer)
        #expect(writer.linesWritten.load(ordering: .relaxed) == buffers.count)
    }

    @Test func afterTheDiskRecoversEveryBufferIsAvailableAgain() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (writer, storage) = try makeWriter(dir, maxBuffers: 16)
        // One more buffer than the start-time rings have slots (64 at 16 buffers): the
        // written buffers fill the free ring and the last one must not be lost.
        var raised = storage
        raised.maxBuffered = Int64(65 * Self.size)
        writer.update(storage: raised)
        var buffers = acquireAll(writer, limit: 1000)
        let before = buffers.count
        let held = buffers.removeLast()  // the merger is still filling this one
        for b in buffers { writer.submit(b) }
        await drain(writer)
        writer.submit(held)
        await drain(writer)
        #expect(writer.linesWritten.load(ordering: .relaxed) == before)
        let again = acquireAll(writer, limit: 1000)
        #expect(again.count == before, "a buffer that is written comes back with its bytes")
    }
}
