import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Fetches REST depth snapshots over ticktape's own NIO stack (``OneShotHTTPClient``: NIOPosix,
/// NIOSSL, NIOHTTP1, the sessions' TLS rules).
///
/// One TCP (and TLS) connection per request, closed after the response: at Binance's budget of
/// about 120 snapshots a minute the handshake costs nothing worth a keep-alive pool, and no idle
/// connection has to be watched. The body is checked only for the snapshot's outline (its
/// `lastUpdateId`, `bids` and `asks`); the book engine parses the levels.
///
/// ``fetch(symbol:limit:)`` may be called from any thread.
package final class DepthSnapshotClient: Sendable {
    package let endpoint: RestEndpoint
    package let market: RestMarket
    package var eventLoop: any EventLoop { http.eventLoop }
    package let timeout: Duration
    private let http: OneShotHTTPClient
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
        self.timeout = timeout
        self.http = try OneShotHTTPClient(endpoint: endpoint, eventLoop: eventLoop, caFile: caFile)
        self.userAgent = "ticktape/\(TickTapeVersion.current)"
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
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: self.userAgent)
        headers.add(name: "Accept", value: "application/json")
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "\(self.market.depthPath)?symbol=\(upper)&limit=\(limit)", headers: headers)
        return http.send(head, timeout: timeout, maximumBodyBytes: Self.maximumBodyBytes)
            .flatMapErrorThrowing { error in
                switch error as? HTTPExchangeError {
                case .connectionFailed(let why): throw DepthSnapshotError.connectionFailed(why)
                case .timedOut(let timeout): throw DepthSnapshotError.timedOut(timeout)
                case .responseTooLarge(let limit): throw DepthSnapshotError.responseTooLarge(limit)
                case nil: throw error
                }
            }
            .flatMapThrowing { response in
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
