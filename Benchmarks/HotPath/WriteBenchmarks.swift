import Benchmark
import Foundation
import TickTape

/// The capture write per message: the `<receive ns> <frame>\n` line appended to the merger's
/// write buffer (``LineBuffer``, 1 MiB as by default), and the same with the full buffer
/// written to a file by write(2) on the same thread (in the daemon that write runs on the
/// segment writer's thread).
func registerWriteBenchmarks() {
    let append = Holder<WriteRig>()
    Benchmark(
        "Write/LineBuffer.append",
        closure: { benchmark in append.value!.batch(benchmark, writeToFile: false) },
        setup: { append.value = try WriteRig(file: false) },
        teardown: {
            append.value?.finish()
            append.value = nil
        })

    let write = Holder<WriteRig>()
    Benchmark(
        "Write/LineBuffer.append + write(2) per full buffer",
        closure: { benchmark in write.value!.batch(benchmark, writeToFile: true) },
        setup: { write.value = try WriteRig(file: true) },
        teardown: {
            write.value?.finish()
            write.value = nil
        })
}

final class WriteRig {
    let frames = PackedFrames(Fixture.bookTickerFrames)
    let stamps: [Int64]
    let buffer = LineBuffer(capacity: 1 << 20)
    let directory: String?
    let fd: Int32
    private var next = 0
    private var fileBytes = 0
    /// The file is cut back to empty at this size, as a rotation would start a new one.
    static let fileLimit = 64 << 20

    init(file: Bool) throws {
        stamps = MessagePool(count: Fixture.bookTickerFrames.count).receivedAt
        if file {
            let directory = try makeTemporaryDirectory()
            self.directory = directory
            fd = open(directory + "/bench.tape", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BenchmarkSetupError(message: "open failed (errno \(errno))") }
        } else {
            directory = nil
            fd = -1
        }
    }

    func batch(_ benchmark: Benchmark, writeToFile: Bool) {
        let n = frames.ranges.count
        var i = next
        measured(benchmark) {
            for _ in benchmark.scaledIterations {
                let payload = frames.frame(i)
                if !buffer.append(receivedAt: stamps[i], payload: payload) {
                    if writeToFile { flush() }
                    buffer.reset()
                    _ = buffer.append(receivedAt: stamps[i], payload: payload)
                }
                i += 1
                if i == n { i = 0 }
            }
        }
        next = i
    }

    private func flush() {
        let bytes = buffer.bytes
        var done = 0
        while done < bytes.count {
            let w = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if w < 0 {
                if errno == EINTR { continue }
                fatalError("write failed (errno \(errno))")
            }
            done += w
        }
        fileBytes += done
        if fileBytes >= Self.fileLimit {
            _ = ftruncate(fd, 0)
            _ = lseek(fd, 0, SEEK_SET)
            fileBytes = 0
        }
    }

    func finish() {
        if fd >= 0 { close(fd) }
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
