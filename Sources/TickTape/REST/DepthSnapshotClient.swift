import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Fetches REST depth snapshots over ticktape's own NIO stack (NIOPosix, NIOSSL, NIOHTTP1).
///
/// Why NIOHTTP1 and not async-http-client: a snapshot is one `GET` at most a few times a second, for which
/// a pool, redirects, proxies and decompression buy nothing, while AHC would add its dependency tree to every
/// build; the pipeline here is the sessions' pipeline minus the WebSocket upgrade, so TLS is configured and
/// verified by exactly the same code paths (see ARCHITECTURE.md, "REST snapshots").
///
/// One TCP (and TLS) connection per request, closed after the response (`Connection: close`): at Binance's
/// budget of about 120 snapshots a minute the handshake costs nothing worth a keep-alive pool, and no idle
/// connection has to be watched. Every request has one deadline covering connect, TLS, request and the
/// whole response. The body is checked only for the snapshot's outline (its `lastUpdateId`, `bids` and
/// `asks`); the book engine parses the levels.
///
/// Everything runs on `eventLoop`; ``fetch(symbol:limit:)`` may be called from any thread.
package final class DepthSnapshotClient: Sendable {
    package let endpoint: RestEndpoint
    package let market: RestMarket
    package let eventLoop: any EventLoop
    package let timeout: Duration
    private let tls: NIOSSLContext?
    private let userAgent: String

    /// A snapshot of 5000 levels is about 300 KB; anything much larger is not a snapshot.
    package static let maximumBodyBytes = 4 << 20

    /// - Parameters:
    ///   - caFile: an extra trusted CA (PEM), as the capture's `ca_file`; the system store is trusted too.
    ///   - timeout: connect + TLS + request + whole response.
    package init(
        endpoint: RestEndpoint, market: RestMarket, eventLoop: any EventLoop, caFile: String? = nil,
        timeout: Duration = .seconds(10)
    ) throws {
        self.endpoint = endpoint
        self.market = market
        self.eventLoop = eventLoop
        self.timeout = timeout
        self.tls = endpoint.useTLS ? try Self.makeTLSContext(caFile: caFile) : nil
        self.userAgent = "ticktape/\(TickTapeVersion.current)"
    }

    /// The sessions' trust rules (`Capture.makeTLSContext`): TLS 1.2 or later, the certificate chain and
    /// host name fully verified against the system trust store plus an optional extra CA.
    static func makeTLSContext(caFile: String?) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// `GET <depthPath>?symbol=<SYMBOL>&limit=<limit>`; the symbol may be given in either case.
    package func fetch(symbol: String, limit: Int) -> EventLoopFuture<DepthSnapshotResponse> {
        let loop = self.eventLoop
        let upper = symbol.uppercased()
        guard !upper.isEmpty, upper.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }) else {
            return loop.makeFailedFuture(DepthSnapshotError.invalidRequest("symbol \"\(symbol)\" is not letters and digits"))
        }
        guard self.market.snapshotWeight(limit: limit) != nil else {
            return loop.makeFailedFuture(
                DepthSnapshotError.invalidRequest("limit \(limit) is not accepted on \(self.market.rawValue); use \(self.market.acceptedLimits)"))
        }
        let promise = loop.makePromise(of: HTTPResponseCollector.Response.self)
        let endpoint = self.endpoint
        let tls = self.tls
        let timeout = self.timeout
        // The channel once connected, and whether the request is over (answered, failed or timed out).
        let attempt = NIOLoopBoundBox<(channel: (any Channel)?, over: Bool)>.makeBoxSendingValue((nil, false), eventLoop: loop)
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(DepthSnapshotError.timedOut(timeout))
            attempt.value.channel?.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in
            deadline.cancel()
            attempt.value.over = true
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "User-Agent", value: self.userAgent)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "\(self.market.depthPath)?symbol=\(upper)&limit=\(limit)", headers: headers)
        ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: endpoint.isIPLiteral ? nil : endpoint.host))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(HTTPResponseCollector(promise: promise, maximumBodyBytes: Self.maximumBodyBytes))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .hop(to: loop)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(DepthSnapshotError.connectionFailed("\(endpoint.host):\(endpoint.port): \(error)"))
                case .success(let channel):
                    attempt.value.channel = channel
                    if attempt.value.over {
                        channel.close(promise: nil)
                        return
                    }
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                }
            }
        return promise.futureResult.flatMapThrowing { response in
            try Self.interpret(response)
        }
    }

    /// Turns a complete response into a snapshot or the error it stands for.
    static func interpret(_ response: HTTPResponseCollector.Response) throws -> DepthSnapshotResponse {
        let headers = response.head.headers
        let usedWeight = headers.first(name: "X-MBX-USED-WEIGHT-1M").flatMap { Int($0) }
        let retryAfter = headers.first(name: "Retry-After").flatMap { Int($0) }.map { Duration.seconds(max(0, $0)) }
        switch response.head.status.code {
        case 200:
            break
        case 429:
            throw DepthSnapshotError.rateLimited(retryAfter: retryAfter)
        case 418:
            throw DepthSnapshotError.banned(retryAfter: retryAfter)
        default:
            throw DepthSnapshotError.httpStatus(Int(response.head.status.code), Self.binanceMessage(response.body))
        }
        let lastUpdateID = try Self.checkOutline(response.body)
        return DepthSnapshotResponse(
            body: response.body, lastUpdateID: lastUpdateID, usedWeight: usedWeight, receivedAtNanos: response.receivedAtNanos)
    }

    /// Checks that `body` is one JSON object starting with `{"lastUpdateId":<integer>` and naming `bids` and
    /// `asks` arrays, and returns the id. The snapshot's levels are the book engine's to parse.
    static func checkOutline(_ body: ByteBuffer) throws(DepthSnapshotError) -> UInt64 {
        let bytes = body.readableBytesView
        let prefix = Array(#"{"lastUpdateId":"#.utf8)
        guard bytes.starts(with: prefix) else {
            let start = String(decoding: bytes.prefix(40), as: UTF8.self)
            throw .malformedResponse("the body does not start with {\"lastUpdateId\": (it starts \(start.debugDescription))")
        }
        var id: UInt64 = 0
        var digits = 0
        for byte in bytes.dropFirst(prefix.count) {
            guard byte >= 0x30, byte <= 0x39 else { break }
            let (times, overflow1) = id.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2 else { throw .malformedResponse("lastUpdateId does not fit 64 bits") }
            id = sum
            digits += 1
        }
        guard digits > 0 else { throw .malformedResponse("lastUpdateId is not an integer") }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains(#""bids":["#), text.contains(#""asks":["#) else {
            throw .malformedResponse("no \"bids\" or \"asks\" array in \(bytes.count) bytes")
        }
        guard text.utf8.last == UInt8(ascii: "}"), text.utf8.dropLast().last == UInt8(ascii: "]") else {
            throw .malformedResponse("the body is cut off (\(bytes.count) bytes, does not end with ]})")
        }
        return id
    }

    /// Binance's `"msg"` from an error body, or the body's start.
    static func binanceMessage(_ body: ByteBuffer) -> String {
        let text = String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
        if let range = text.firstRange(of: #""msg":""#), let end = text[range.upperBound...].firstIndex(of: "\"") {
            return String(text[range.upperBound..<end])
        }
        return text
    }
}
