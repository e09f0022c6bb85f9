import ArgumentParser
import Logging
import TickTape

/// `ticktape replay`: serve stored captures back over Binance's own WebSocket protocol, at
/// recorded pace, ×N or flat out, seekable; and their history over HTTP.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve stored captures back over Binance's WebSocket paths, paced by their receive stamps.",
        discussion: """
            Connect as to Binance: ws://HOST:PORT/ws/btcusdt@trade, /stream?streams=a/b (also under /public and \
            /market), or /ws then SUBSCRIBE. Per connection, query parameters: from, to (epoch ms, epoch ns or UTC \
            ISO 8601), speed (1 = recorded pace, any factor, or max), gaps=true (announce ledger gaps as \
            {"replay":"gap",…}), snapshots=true (send injected {"snapshot":…} lines), keep_open=true (stay open at \
            the end). Control messages: {"method":"REPLAY.PAUSE"}, REPLAY.RESUME, REPLAY.SPEED ["10"], REPLAY.SEEK \
            ["2024-08-08T23:54:30Z"], REPLAY.STATUS, answered {"result":…,"id":…}. HTTP: GET /api/v1/range?stream=S, \
            GET /api/v1/history?stream=S&from=&to=&limit=&cursor=. Runs until SIGINT or SIGTERM.
            """)

    @Option(help: "A data_dir (captures in subfolders) or one capture's folder.")
    var data: String

    @Option(help: "Address to listen on (host:port; loopback unless you mean it: there is no token).")
    var listen = "127.0.0.1:9480"

    @Option(help: "Event-loop threads.")
    var threads = 1

    func validate() throws {
        if ListenAddress.parse(listen) == nil { throw ValidationError("--listen must be host:port, got '\(listen)'") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        guard DurableFile.status(data)?.isDirectory == true else {
            printError("\(data): not a directory")
            throw ExitCode(1)
        }
        var logger = Logger(label: "ticktape.replay")
        logger.logLevel = .notice
        let server = ReplayServer(dataDirectory: data, listen: ListenAddress.parse(listen)!, threads: threads, logger: logger)
        let port = try await server.start()
        print("replay: listening on \(ListenAddress(host: ListenAddress.parse(listen)!.host, port: port)), data \(data)")
        flushStdout()
        await waitForTermination()
        await server.stop()
    }
}
