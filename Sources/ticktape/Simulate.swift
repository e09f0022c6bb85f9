import ArgumentParser
import Dispatch
import TickTape
import TickTapeSimulator

#if canImport(Glibc)
import Glibc
#endif

/// `ticktape simulate`: a Binance-compatible WebSocket server on loopback, for trying the
/// daemon, tests and benchmarks without the exchange.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a simulated Binance market-data WebSocket on loopback.",
        discussion: """
            Point a capture at it, e.g. url = "ws://127.0.0.1:9443/public/stream?streams=btcusdt@bookTicker".
            Per-connection profiles take the form K:DELAY[:DROP], e.g. --profile 0:0us --profile 2:500us:0.02
            (connection K is the one ticktape numbers K; DELAY a duration, or MIN-MAX for uniform jitter).
            """)

    @Option(help: "Address to listen on (loopback only unless you mean it).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 = pick one and print it).")
    var port = 9443

    @Option(help: "Replay this hftbacktest-format recording (gzip, `<ns> <frame>` lines) instead of generating data.")
    var recording: String?

    @Option(help: "Replay pace: original, max, or a speed-up factor like 10.")
    var pace = "original"

    @Option(help: "Synthetic bookTicker messages per second (when no recording is given).")
    var rate: Double = 1000

    @Option(help: "Symbols for synthetic data, comma-separated.")
    var symbols = "btcusdt"

    @Option(help: "Per-connection profile K:DELAY[:DROP]; repeatable.")
    var profile: [String] = []

    @Option(help: "Seed for delays and drops.")
    var seed: UInt64 = 1

    @Option(help: "Seconds between server pings.")
    var pingInterval: Int = 180

    @Option(help: "TLS certificate chain (PEM); serve wss:// when given with --tls-key.")
    var tlsCert: String?

    @Option(help: "TLS private key (PEM).")
    var tlsKey: String?

    func run() async throws {
        let source: MessageSource
        if let recording {
            let p: Pace
            switch pace {
            case "original": p = .original
            case "max": p = .asFastAsPossible
            default:
                guard let k = Double(pace), k > 0 else { throw ValidationError("--pace must be original, max or a positive factor") }
                p = .scaled(k)
            }
            source = .recording(path: recording, pace: p)
        } else {
            source = .synthetic(SyntheticBookTicker(symbols: symbols.split(separator: ",").map(String.init), rate: rate))
        }
        var config = SimulatorConfiguration(source: source)
        config.host = host
        config.port = port
        config.seed = seed
        config.pingInterval = .seconds(pingInterval)
        config.profiles = try Self.parseProfiles(profile)
        if let tlsCert, let tlsKey {
            config.tls = TLSFiles(certificateChainPath: tlsCert, privateKeyPath: tlsKey)
        } else if tlsCert != nil || tlsKey != nil {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let simulator = try ExchangeSimulator(configuration: config)
        let bound = try await simulator.start()
        let scheme = config.tls == nil ? "ws" : "wss"
        print("simulating Binance on \(scheme)://\(host):\(bound) (e.g. \(scheme)://\(host):\(bound)/public/stream?streams=btcusdt@bookTicker)")
        flushStdout()
        await waitForTermination()
        try await simulator.stop()
    }

    static func parseProfiles(_ specs: [String]) throws -> [ConnectionProfile] {
        var profiles: [ConnectionProfile] = []
        for spec in specs {
            let parts = spec.split(separator: ":").map(String.init)
            guard parts.count == 2 || parts.count == 3, let k = Int(parts[0]), k >= 0, k < 64 else {
                throw ValidationError("--profile \(spec): expected K:DELAY[:DROP], e.g. 2:500us:0.02")
            }
            var profile = ConnectionProfile()
            do {
                let range = parts[1].split(separator: "-").map(String.init)
                if range.count == 2 {
                    profile.delay = .uniform(try HumanDuration.parse(range[0]), try HumanDuration.parse(range[1]))
                } else {
                    let d = try HumanDuration.parse(parts[1])
                    profile.delay = d == .zero ? .none : .constant(d)
                }
            } catch {
                throw ValidationError("--profile \(spec): \(error)")
            }
            if parts.count == 3 {
                guard let drop = Double(parts[2]), drop >= 0, drop < 1 else {
                    throw ValidationError("--profile \(spec): DROP must be a probability in [0, 1)")
                }
                profile.dropProbability = drop
            }
            while profiles.count <= k { profiles.append(ConnectionProfile()) }
            profiles[k] = profile
        }
        return profiles
    }
}

func waitForTermination() async {
    let stream = AsyncStream<Int32> { continuation in
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            nonisolated(unsafe) let keep = source
            continuation.onTermination = { _ in keep.cancel() }
        }
    }
    for await _ in stream { return }
}

func flushStdout() { fflush(nil) }

func printError(_ text: String) {
    var line = "ticktape: " + text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
