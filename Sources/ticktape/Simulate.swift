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
            Faults take the form K:AT:KIND, K a connection index or "all", AT the time after start, KIND one of
            reset, close=CODE, stall, stall-no-pong, slow=DELAY, garbage=\(GarbageFrame.allCases.map(\.rawValue).joined(separator: "|")),
            duplicate=N, reorder=N, shutdown=CLOSE_AFTER, mute=STREAM, http=STATUS[:RETRY_AFTER_S], tls-wrong-cert, refuse=DURATION,
            skip=N (a hole on that connection only), and for --depth-rate books break-chain[=SYMBOL] (every connection
            misses one update: a real chain break), rest-delay=DURATION, rest-status=STATUS, rest-malformed (the next
            REST snapshot); e.g. --fault 1:30s:stall --fault all:2m:shutdown=1s --fault 2:45s:http=429:10.
            With --depth-rate the simulator serves synthetic order books: <symbol>@depth, @depth@500ms, @depth@100ms and
            @depth@0ms (spot: @depth, @depth@100ms) with Binance's update-id rules, and REST snapshots at
            /fapi/v1/depth or /api/v3/depth on the same port, with X-MBX-USED-WEIGHT-1M, 429 and 418.
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

    @Option(help: "Serve synthetic order books changing this many times per second (all symbols together) instead of bookTicker.")
    var depthRate: Double?

    @Option(help: "Market rules for --depth-rate: usdm or spot.")
    var market = "usdm"

    @Option(help: "With --depth-rate: skip one update of every symbol on every connection at this time after start (a chain break); repeatable.")
    var bookBreakAt: [String] = []

    @Option(help: "REST request weight allowed per window on the served market (default Binance's: 2400 USD-M, 6000 spot).")
    var restWeightLimit: Int?

    @Option(help: "Length of the REST weight window (default 1m).")
    var restWindow = "1m"

    @Option(help: "Symbols for synthetic data, comma-separated.")
    var symbols = "btcusdt"

    @Option(help: "Per-connection profile K:DELAY[:DROP]; repeatable.")
    var profile: [String] = []

    @Option(help: "Seed for delays and drops.")
    var seed: UInt64 = 1

    @Option(help: "Seconds between server pings.")
    var pingInterval: Int = 180

    @Option(help: "Fault K:AT:KIND to inject (see below); repeatable.")
    var fault: [String] = []

    @Option(help: "Also inject a random recoverable fault this often on average (e.g. 30s), seeded by --seed.")
    var randomFaults: String?

    @Option(help: "Connections the random faults pick from (0..N-1).")
    var faultConnections = 4

    @Option(help: "Close every session with 1001 at this age, like Binance at 24h (e.g. 24h, or 30s to test rotation).")
    var connectionLifetime: String?

    @Option(
        help: """
            Record, per synthetic message, when its first copy was handed to a socket (any connection), and \
            write that to this file at exit (SIGINT/SIGTERM); binary, described at ExchangeSimulator.writeSendLog. \
            For the end-to-end benchmark (scripts/bench-e2e); 9 bytes of memory per message until exit.
            """)
    var sendLog: String?

    @Option(
        help: """
            Record what each connection index was sent and, at exit (SIGINT/SIGTERM), write it to this directory: \
            connection-K.txt, one combined frame per line in send order (the ground truth of \
            scripts/completeness-check); 8 bytes of memory per message and connection until exit.
            """)
    var sentLog: String?

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
        } else if let depthRate {
            guard let simulated = SimulatedMarket(rawValue: market) else { throw ValidationError("--market must be usdm or spot") }
            let breaks = try bookBreakAt.map { text in
                guard let at = try? HumanDuration.parse(text) else { throw ValidationError("--book-break-at: expected a duration like 30s") }
                return at
            }
            source = .syntheticDepth(
                SyntheticDepthBook(
                    market: simulated, symbols: symbols.split(separator: ",").map(String.init), rate: depthRate, chainBreaks: breaks))
        } else {
            source = .synthetic(SyntheticBookTicker(symbols: symbols.split(separator: ",").map(String.init), rate: rate))
        }
        var config = SimulatorConfiguration(source: source)
        config.host = host
        config.port = port
        config.seed = seed
        config.pingInterval = .seconds(pingInterval)
        config.profiles = try Self.parseProfiles(profile)
        // A long CLI run at a high rate must not grow by 8 bytes per message and connection.
        config.recordsSentMessages = sentLog != nil
        if sendLog != nil {
            guard recording == nil else { throw ValidationError("--send-log needs synthetic data (no --recording)") }
            config.recordsFirstSendTimes = true
        }
        config.faults = FaultScript(steps: try fault.map(Self.parseFault))
        guard let window = try? HumanDuration.parse(restWindow), window > .zero else {
            throw ValidationError("--rest-window: expected a duration like 1m")
        }
        config.rest.window = window
        if let restWeightLimit {
            guard restWeightLimit > 0 else { throw ValidationError("--rest-weight-limit must be positive") }
            config.rest.usdmWeightLimit = restWeightLimit
            config.rest.spotWeightLimit = restWeightLimit
        }
        if let randomFaults {
            guard let mean = try? HumanDuration.parse(randomFaults), mean > .zero else {
                throw ValidationError("--random-faults: expected a duration like 30s")
            }
            config.faults.random = FaultScript.Random(meanInterval: mean, connections: max(1, faultConnections))
        }
        if let connectionLifetime {
            guard let lifetime = try? HumanDuration.parse(connectionLifetime), lifetime > .zero else {
                throw ValidationError("--connection-lifetime: expected a duration like 24h")
            }
            config.connectionLifetime = lifetime
        }
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
        if let sentLog { try Self.writeSentLog(simulator, to: sentLog) }
        if let sendLog {
            let count = try simulator.writeSendLog(to: sendLog)
            print("send log: \(count) messages written to \(sendLog)")
            flushStdout()
        }
    }

    /// Writes `connection-K.txt` per connection index that was sent anything.
    static func writeSentLog(_ simulator: ExchangeSimulator, to directory: String) throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw ValidationError("--sent-log: cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        for k in 0..<64 {
            let sent = simulator.sentMessages(connection: k)
            if sent.isEmpty { continue }
            let path = "\(directory)/connection-\(k).txt"
            guard let file = fopen(path, "w") else {
                throw ValidationError("--sent-log: cannot write \(path): \(String(cString: strerror(errno)))")
            }
            for index in sent {
                fputs(simulator.frame(message: index, combined: true), file)
                fputc(0x0A, file)
            }
            guard fclose(file) == 0 else { throw ValidationError("--sent-log: writing \(path) failed") }
            print("sent log: connection \(k): \(sent.count) messages")
        }
        flushStdout()
    }

    /// Parses `K:AT:KIND[=ARG]` (see the command's discussion).
    static func parseFault(_ spec: String) throws -> FaultScript.Step {
        let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
        func fail(_ why: String) -> ValidationError { ValidationError("--fault \(spec): \(why)") }
        guard parts.count == 3 else { throw fail("expected K:AT:KIND, e.g. 1:30s:stall") }
        let connection: Int?
        if parts[0] == "all" {
            connection = nil
        } else {
            guard let k = Int(parts[0]), k >= 0, k < 64 else { throw fail("K must be a connection index or all") }
            connection = k
        }
        guard let at = try? HumanDuration.parse(parts[1]) else { throw fail("AT must be a duration like 30s") }
        let kindParts = parts[2].split(separator: "=", maxSplits: 1).map(String.init)
        let argument = kindParts.count == 2 ? kindParts[1] : nil
        func duration() throws -> Duration {
            guard let argument, let d = try? HumanDuration.parse(argument) else { throw fail("\(kindParts[0]) needs =DURATION") }
            return d
        }
        func text() throws -> String {
            guard let argument, !argument.isEmpty else { throw fail("\(kindParts[0]) needs =STREAM, e.g. mute=btcusdt@bookTicker") }
            return argument
        }
        func count() throws -> Int {
            guard let argument, let n = Int(argument), n > 0 else { throw fail("\(kindParts[0]) needs =N") }
            return n
        }
        let action: FaultScript.Action
        switch kindParts[0] {
        case "reset": action = .live(.reset)
        case "close":
            guard let argument, let code = UInt16(argument) else { throw fail("close needs =CODE, e.g. close=1001") }
            action = .live(.close(code: code))
        case "stall": action = .live(.stall(answerPings: true))
        case "stall-no-pong": action = .live(.stall(answerPings: false))
        case "slow": action = .live(.slow(delay: try duration()))
        case "garbage":
            guard let argument, let kind = GarbageFrame(rawValue: argument) else {
                throw fail("garbage needs =\(GarbageFrame.allCases.map(\.rawValue).joined(separator: "|"))")
            }
            action = .live(.garbage(kind))
        case "duplicate": action = .live(.duplicate(count: try count()))
        case "reorder": action = .live(.reorder(count: try count()))
        case "shutdown": action = .live(.serverShutdown(closeAfter: try duration()))
        case "mute": action = .live(.muteStream(try text()))
        case "http":
            let values = (argument ?? "").split(separator: ":").map { Int($0) }
            guard let first = values.first, let status = first, (400...599).contains(status), values.count <= 2 else {
                throw fail("http needs =STATUS[:RETRY_AFTER_SECONDS], e.g. http=429:10")
            }
            action = .handshake(.status(code: status, retryAfter: values.count == 2 ? values[1] : nil))
        case "tls-wrong-cert": action = .handshake(.wrongCertificate)
        case "refuse": action = .refuse(try duration())
        case "skip": action = .live(.skip(count: try count()))
        case "break-chain": action = .breakChain(symbol: argument)
        case "rest-delay": action = .rest(.delay(try duration()))
        case "rest-status":
            guard let argument, let status = Int(argument), (400...599).contains(status) else {
                throw fail("rest-status needs =STATUS, e.g. rest-status=503")
            }
            action = .rest(.status(code: status, retryAfter: nil))
        case "rest-malformed": action = .rest(.malformedBody)
        default: throw fail("unknown fault kind \(kindParts[0])")
        }
        return FaultScript.Step(at: at, connection: connection, action: action)
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

/// Returns at the first SIGINT or SIGTERM.
func waitForTermination() async {
    for await _ in terminationSignals([SIGINT, SIGTERM]).stream { return }
}

/// `signals` as a stream, and the dispatch sources behind it. Every source is cancelled when
/// the stream ends (setting `onTermination` once per source used to keep only the last one's,
/// leaving the others installed).
func terminationSignals(_ signals: [Int32]) -> (stream: AsyncStream<Int32>, sources: [any DispatchSourceSignal]) {
    var sources: [any DispatchSourceSignal] = []
    let stream = AsyncStream<Int32> { continuation in
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        nonisolated(unsafe) let keep = sources
        continuation.onTermination = { _ in keep.forEach { $0.cancel() } }
    }
    return (stream, sources)
}

func flushStdout() { fflush(nil) }

func printError(_ text: String) {
    var line = "ticktape: " + text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
