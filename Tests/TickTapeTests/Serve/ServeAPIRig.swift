import Foundation
import Testing
import TickTapeSimulator

@testable import TickTape

/// A real engine serving the API on a free loopback port, fed by two simulators:
///
/// - `depth`: synthetic USD-M books of BTCUSDT and ETHUSDT (`@depth@0ms`, REST snapshots from the
///   same simulator) over 2 racing connections: the local books, `/book`, the book top of `/latest`;
/// - `ticks`: the recording fixture's BTCUSDT bookTicker and trades over 1 connection, with 1 s
///   bars: `/latest`'s bookTicker and trade, `/bars`.
///
/// Ground truth comes from the simulators (``ExchangeSimulator/trueBook(symbol:atUpdateID:limit:)``,
/// what each connection was sent) and the fixture file itself, never from the engine.
struct ServeAPIRig {
    static let fixtureName = "Fixtures/usdm_btcusdt_head"

    let dir: TemporaryDirectory
    let depth: ExchangeSimulator
    let ticks: ExchangeSimulator
    let engine: CaptureEngine
    let port: Int

    static var fixturePath: String {
        get throws { try #require(Bundle.module.url(forResource: fixtureName, withExtension: "gz")).path }
    }

    /// - Parameter serve: the `[serve]` table (a free loopback port; the status page's test adds
    ///   a `token_file`).
    static func start(serve: String = #"listen = "127.0.0.1:0""#) async throws -> ServeAPIRig {
        let dir = try TemporaryDirectory("ticktape-serve-api")
        let book = SyntheticDepthBook(
            market: .usdm, symbols: ["btcusdt", "ethusdt"], rate: 400, speeds: [.realtime], levelsPerSide: 100)
        var depthConfig = SimulatorConfiguration(source: .syntheticDepth(book))
        depthConfig.startWhenConnected = 2
        depthConfig.profiles = [ConnectionProfile(delay: .uniform(.zero, .milliseconds(1))), ConnectionProfile()]
        let depth = try ExchangeSimulator(configuration: depthConfig)
        let depthPort = try await depth.start()
        let recording = SimulatorConfiguration(source: .recording(path: try fixturePath, pace: .scaled(20)))
        let ticks = try ExchangeSimulator(configuration: recording)
        let ticksPort = try await ticks.start()
        let captures =
            CaptureAgainstSimulatorTests.captureBlock(
                name: "depth", url: "ws://127.0.0.1:\(depthPort)/stream?streams=btcusdt@depth@0ms/ethusdt@depth@0ms",
                connections: 2, extra: #"hole_wait = "50ms""#) + "\n"
            + CaptureAgainstSimulatorTests.captureBlock(
                name: "ticks", url: "ws://127.0.0.1:\(ticksPort)/stream?streams=btcusdt@bookTicker/btcusdt@trade", connections: 1,
                extra: "bars = [\"1s\"]\nstale_after = \"60s\"\nstream_stale_after = \"never\"")
        let config = try makeConfig(
            dataDir: dir.path, storage: #"flush_interval = "20ms""#, serve: serve, captures: captures)
        let engine = try CaptureEngine(config: config, logger: testLogger)
        engine.telemetry?.start()
        try await engine.start()
        let port = engine.servePort.load(ordering: .acquiring)
        try #require(port > 0, "the listener is bound")
        return ServeAPIRig(dir: dir, depth: depth, ticks: ticks, engine: engine, port: port)
    }

    func get(_ target: String) throws -> LoopbackHTTP.Reply { try LoopbackHTTP.get(port: port, target) }

    /// The answer of `target` as a JSON object (failing the test if it is not one).
    func json(_ target: String, status: Int = 200) throws -> [String: Any] {
        let reply = try get(target)
        #expect(reply.status == status, "\(target): \(reply.status) \(reply.text.prefix(300))")
        return try #require(reply.json, "\(target) answers a JSON object: \(reply.text.prefix(300))")
    }

    func stop() async {
        await engine.stop()
        await engine.telemetry?.stop()
        try? await depth.stop()
        try? await ticks.stop()
        dir.cleanup()
    }
}
