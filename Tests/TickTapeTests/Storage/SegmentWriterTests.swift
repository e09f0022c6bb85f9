import Foundation
import Synchronization
import Testing

@testable import TickTape

@Suite struct SegmentWriterTests {
    func frame(_ i: Int) -> [UInt8] {
        Array(#"{"e":"bookTicker","u":\#(i),"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4"}"#.utf8)
    }

    @Test func linesAreWrittenInOrderAndSegmentsRotateBySizeWithoutTearingLines() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let config = try makeConfig(
            dataDir: dir.path, storage: #"rotate_size = "4KiB"\#nbuffer_size = "4KiB"\#nfsync = "never""#,
            captures: #"[[capture]]\#nname = "t"\#nurl = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"\#nconnections = 1"#)
        let closed = Mutex<[ClosedSegment]>([])
        let writer = try SegmentWriter(
            capture: "t", dataDirectory: dir.path, storage: config.storage, logger: testLogger,
            onSegmentClosed: { segment in closed.withLock { $0.append(segment) } })
        writer.start()
        var buffer = writer.acquireBuffer(minimum: 100)!
        for i in 0..<1000 {
            let ok = frame(i).withUnsafeBytes { buffer.append(receivedAt: Int64(1_700_000_000_000_000_000 + i), payload: $0) }
            if !ok {
                writer.submit(buffer)
                buffer = writer.acquireBuffer(minimum: 100)!
                _ = frame(i).withUnsafeBytes { buffer.append(receivedAt: Int64(1_700_000_000_000_000_000 + i), payload: $0) }
            }
        }
        writer.submit(buffer)
        await writer.finish()

        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/t")
        #expect(files.allSatisfy { $0.hasSuffix(".tape") }, "no segment is left open after finish: \(files)")
        #expect(files.count > 5, "4 KiB rotation over ~80 KiB must produce several segments")
        let lines = try readCaptureLines("\(dir.path)/t")
        #expect(lines.count == 1000)
        for (i, line) in lines.enumerated() {
            let parsed = splitLine(line)
            #expect(parsed?.0 == Int64(1_700_000_000_000_000_000 + i))
            #expect(parsed?.1 == String(decoding: frame(i), as: UTF8.self))
        }
        let segments = closed.withLock { $0 }
        #expect(segments.count == files.count)
        #expect(segments.reduce(0) { $0 + $1.lines } == 1000)
        #expect(writer.linesWritten.load(ordering: .relaxed) == 1000)
    }

    @Test func embeddedNewlinesCannotSplitALine() throws {
        let buffer = LineBuffer(capacity: 256)
        let payload = Array("{\"a\":\n1}".utf8)
        #expect(payload.withUnsafeBytes { buffer.append(receivedAt: 5, payload: $0) })
        let text = String(decoding: buffer.bytes, as: UTF8.self)
        #expect(text == "5 {\"a\": 1}\n")
    }

    @Test func rotationBoundariesAreWallClockMultiples() {
        let hour = Duration.seconds(3600)
        let start: Int64 = 3600 * 1_000_000_000 * 10 + 5
        #expect(SegmentWriter.boundary(after: start, interval: hour) == 3600 * 1_000_000_000 * 11)
    }

    @Test func unwritableDirectoryIsAClearError() throws {
        #expect(throws: StorageError.self) {
            _ = try SegmentWriter(
                capture: "x", dataDirectory: "/proc/ticktape-cannot-exist", storage: try makeConfig(
                    dataDir: "/tmp", captures: #"[[capture]]\#nname = "x"\#nurl = "ws://127.0.0.1:1/ws/a@trade"\#nconnections = 1"#
                ).storage, logger: testLogger)
        }
    }
}

@Suite struct WriteTimeLogTests {
    @Test func oneRecordPerBufferWithCumulativeLinesAndTimesTakenAtTheWrite() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let config = try makeConfig(
            dataDir: dir.path, storage: #"fsync = "never""#,
            captures: #"[[capture]]\#nname = "w"\#nurl = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"\#nconnections = 1"#)
        let logPath = dir.path + "/w.writes"
        let writer = try SegmentWriter(
            capture: "w", dataDirectory: dir.path, storage: config.storage, logger: testLogger,
            writeTimeLog: WriteTimeLog(path: logPath))
        writer.start()
        let before = WallClock.realtimeNanos()
        var id = 0
        for lines in [10, 5, 7] {
            let buffer = writer.acquireBuffer(minimum: 100)!
            for _ in 0..<lines {
                let frame = Array(#"{"e":"bookTicker","u":\#(id)}"#.utf8)
                #expect(frame.withUnsafeBytes { buffer.append(receivedAt: Int64(id), payload: $0) })
                id += 1
            }
            writer.submit(buffer)
            // Wait until written, so each buffer is its own write(2).
            while writer.linesWritten.load(ordering: .relaxed) < id { usleep(1000) }
        }
        #expect(!FileManager.default.fileExists(atPath: logPath), "the log is written at finish, not before")
        await writer.finish()
        let after = WallClock.realtimeNanos()

        let text = try String(contentsOfFile: logPath, encoding: .utf8)
        let records = text.split(separator: "\n").map { $0.split(separator: " ").map { Int64($0)! } }
        #expect(records.map { $0[0] } == [10, 15, 22])
        let times = records.map { $0[1] }
        #expect(times.allSatisfy { $0 >= before && $0 <= after })
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(try readCaptureLines("\(dir.path)/w").count == 22)
    }

    @Test func offUnlessArmed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let config = try makeConfig(
            dataDir: dir.path,
            captures: #"[[capture]]\#nname = "w"\#nurl = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"\#nconnections = 1"#)
        let forcedOff = try SegmentWriter(
            capture: "w", dataDirectory: dir.path, storage: config.storage, logger: testLogger, writeTimeLog: .some(nil))
        #expect(forcedOff.writeTimeLog == nil)
        if getenv(WriteTimeLog.environmentVariable) == nil {
            let byEnvironment = try SegmentWriter(
                capture: "w", dataDirectory: dir.path, storage: config.storage, logger: testLogger)
            #expect(byEnvironment.writeTimeLog == nil)
        }
    }
}
