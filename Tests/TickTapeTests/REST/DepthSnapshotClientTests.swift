import Foundation
import NIOCore
import NIOPosix
import Testing
import TickTapeSimulator

@testable import TickTape

/// A simulator serving synthetic books, started and always stopped around `body`.
func withDepthSimulator<T>(
    _ book: SyntheticDepthBook,
    configure: (inout SimulatorConfiguration) -> Void = { _ in },
    _ body: (ExchangeSimulator, Int) async throws -> T
) async throws -> T {
    var configuration = SimulatorConfiguration(source: .syntheticDepth(book))
    configure(&configuration)
    let simulator = try ExchangeSimulator(configuration: configuration)
    let port = try await simulator.start()
    do {
        let result = try await body(simulator, port)
        try await simulator.stop()
        return result
    } catch {
        try? await simulator.stop()
        throw error
    }
}

/// The levels of a snapshot body, parsed by Foundation (independently of ticktape).
func snapshotLevels(_ body: ByteBuffer) throws -> (id: UInt64, bids: [DepthLevel], asks: [DepthLevel]) {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    let bids = try #require(object["bids"] as? [[String]]).map { DepthLevel(price: $0[0], quantity: $0[1]) }
    let asks = try #require(object["asks"] as? [[String]]).map { DepthLevel(price: $0[0], quantity: $0[1]) }
    return (try #require((object["lastUpdateId"] as? NSNumber)?.uint64Value), bids, asks)
}

@Suite("REST depth snapshots against the simulator", .serialized)
struct DepthSnapshotClientTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    func client(port: Int, market: RestMarket = .usdm, scheme: String = "http", host: String = "127.0.0.1", caFile: String? = nil, timeout: Duration = .seconds(5)) throws -> DepthSnapshotClient {
        try DepthSnapshotClient(
            endpoint: try RestEndpoint.parse("\(scheme)://\(host):\(port)"), market: market, eventLoop: self.loop, caFile: caFile, timeout: timeout)
    }

    @Test("a snapshot is the simulator's true book at its lastUpdateId, with the used weight", .timeLimit(.minutes(1)))
    func snapshotIsTruth() async throws {
        try await withDepthSimulator(SyntheticDepthBook(symbols: ["btcusdt", "ethusdt"], rate: 2_000)) { simulator, port in
            simulator.startClock()
            let usdm = try client(port: port)
            let first = try await usdm.fetch(symbol: "btcusdt", limit: 1000).get()
            let second = try await usdm.fetch(symbol: "BTCUSDT", limit: 5).get()
            #expect(first.usedWeight == 20 && second.usedWeight == 22)
            #expect(second.lastUpdateID >= first.lastUpdateID)
            for response in [first, second] {
                let (id, bids, asks) = try snapshotLevels(response.body)
                #expect(id == response.lastUpdateID)
                let truth = try #require(simulator.trueBook(symbol: "btcusdt", atUpdateID: id, limit: bids.count == 5 ? 5 : 1000))
                #expect(bids == truth.bids && asks == truth.asks)
                #expect(response.receivedAtNanos > 0)
            }
            #expect(simulator.restStatistics(.usdm).weightUsed == 22)
            await #expect(throws: DepthSnapshotError.httpStatus(400, "Invalid symbol.")) {
                try await self.client(port: port, market: .spot).fetch(symbol: "btcusdt", limit: 100).get()
            }
        }
    }

    @Test("malformed bodies, error statuses, timeouts and refused limits are clear errors", .timeLimit(.minutes(1)))
    func errors() async throws {
        try await withDepthSimulator(SyntheticDepthBook(symbols: ["btcusdt"], rate: 100, levelsPerSide: 50)) { simulator, port in
            let client = try self.client(port: port, timeout: .milliseconds(300))
            simulator.failRestRequests(.malformedBody)
            do {
                _ = try await client.fetch(symbol: "btcusdt", limit: 100).get()
                Issue.record("a cut-off body was accepted")
            } catch let error as DepthSnapshotError {
                guard case .malformedResponse(let why) = error else { throw error }
                #expect(why.contains("cut off") || why.contains("\"asks\""), "says what is missing: \(why)")
            }
            simulator.failRestRequests(.status(code: 503, retryAfter: nil))
            await #expect(throws: DepthSnapshotError.httpStatus(503, "Internal error; unable to process your request. Please try again.")) {
                try await client.fetch(symbol: "btcusdt", limit: 100).get()
            }
            simulator.failRestRequests(.delay(.seconds(2)))
            await #expect(throws: DepthSnapshotError.timedOut(.milliseconds(300))) {
                try await client.fetch(symbol: "btcusdt", limit: 100).get()
            }
            await #expect(throws: DepthSnapshotError.self) { try await client.fetch(symbol: "btcusdt", limit: 200).get() }
            await #expect(throws: DepthSnapshotError.self) { try await client.fetch(symbol: "btc/usdt", limit: 100).get() }
            #expect(simulator.restStatistics(.usdm).requests == 3, "refused requests are never sent")
            #expect("\(DepthSnapshotError.rateLimited(retryAfter: .seconds(3)))" == "HTTP 429 (request weight exhausted), Retry-After 3s")
        }
    }

    @Test("https is verified: the simulator's CA is trusted only when given as ca_file", .timeLimit(.minutes(1)))
    func tlsVerified() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ticktape-rest-tls-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try TestCertificateAuthority.make(in: directory.path)
        try await withDepthSimulator(
            SyntheticDepthBook(symbols: ["btcusdt"], rate: 100, levelsPerSide: 50),
            configure: { $0.tls = TLSFiles(certificateChainPath: files.certPath, privateKeyPath: files.keyPath) }
        ) { simulator, port in
            let trusted = try self.client(port: port, scheme: "https", host: "localhost", caFile: files.caPath)
            let response = try await trusted.fetch(symbol: "btcusdt", limit: 5).get()
            #expect(simulator.trueBook(symbol: "btcusdt", atUpdateID: response.lastUpdateID, limit: 5) != nil)
            let untrusted = try self.client(port: port, scheme: "https", host: "localhost")
            do {
                _ = try await untrusted.fetch(symbol: "btcusdt", limit: 5).get()
                Issue.record("an untrusted certificate was accepted")
            } catch let error as DepthSnapshotError {
                guard case .connectionFailed = error else { throw error }
            }
            #expect(simulator.restStatistics(.usdm).requests == 1)
        }
    }
}
