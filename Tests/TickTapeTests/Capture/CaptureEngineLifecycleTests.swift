import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import TickTape

/// The engine's own lifecycle and liveness, with nothing to capture from.
@Suite(.serialized) struct CaptureEngineLifecycleTests {
    /// A loop that is blocked (a task waits on a semaphore the test releases afterwards) makes
    /// the probe answer "not answering" within its timeout. Before the fix the probe awaited
    /// the loop's future, which ignores cancellation, and hung as long as the loop did.
    @Test func theLivenessProbeTimesOutOnABlockedLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let release = DispatchSemaphore(value: 0)
        let loops = Array(group.makeIterator())
        loops[1].execute { release.wait() }
        let answered = TestCounter()
        let returned = await finishes(within: .seconds(5)) {
            if await CaptureEngine.loopsAnswer(group, within: .milliseconds(200)) { answered.increment() }
        }
        release.signal()
        #expect(returned, "the probe came back while the loop was still blocked")
        #expect(answered.value == 0, "and said the loops did not answer")
        #expect(await CaptureEngine.loopsAnswer(group, within: .seconds(5)), "free loops answer")
        try await group.shutdownGracefully()
    }

    /// A start that fails (the second capture's CA file is not a certificate) leaves no thread
    /// running: the event loops are shut down. Before the fix they (and the merger, and the
    /// first capture's sessions) kept running.
    @Test func aFailedStartShutsTheEventLoopsDown() async throws {
        let dir = try TemporaryDirectory("ticktape-failed-start")
        defer { dir.cleanup() }
        let badCA = dir.path + "/bad-ca.pem"
        #expect(FileManager.default.createFile(atPath: badCA, contents: Data("not a certificate\n".utf8)))
        let config = try makeConfig(
            dataDir: dir.path,
            captures: """
                [[capture]]
                name = "first"
                url = "ws://127.0.0.1:9/ws/btcusdt@bookTicker"
                connections = 1
                [[capture]]
                name = "second"
                url = "wss://127.0.0.1:9/ws/ethusdt@bookTicker"
                connections = 1
                ca_file = "\(badCA)"
                """)
        let before = Self.threads()
        let engine = try CaptureEngine(config: config, logger: testLogger)
        #expect(Self.threads().loops > before.loops, "the engine's event loops exist from init")
        await #expect(throws: (any Error).self) { try await engine.start() }
        #expect(engine.captures.isEmpty, "no capture was left half started")
        // Shutting a group down joins its threads, so they are gone by the time start() throws.
        let after = Self.threads()
        #expect(after.loops == before.loops, "the event loop threads were shut down")
        #expect(after.mergers == before.mergers, "the merger thread never started")
    }

    /// Threads of this process by kind, from their names in `/proc/self/task`.
    static func threads() -> (loops: Int, mergers: Int) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        return (names.filter { $0.hasPrefix("NIO-ELT") }.count, names.filter { $0.hasPrefix("tt-merge") }.count)
    }
}
