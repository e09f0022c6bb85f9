import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request on a TCP (and TLS) connection of its own, closed after the response: the
/// REST depth snapshots and the S3 sink's requests.
///
/// Why not async-http-client: both callers send a few requests a second at most, for which a
/// pool, redirects, proxies and decompression buy nothing, while AHC would add its dependency
/// tree to every build. The pipeline is the sessions' minus the WebSocket upgrade, so TLS is
/// configured and verified by the same code (``makeTLSContext(caFile:)``; ARCHITECTURE.md,
/// "REST snapshots"). One deadline covers connect, TLS, request and the whole response.
///
/// Everything runs on `eventLoop`; ``send(_:body:timeout:maximumBodyBytes:)`` may be called from
/// any thread.
package struct OneShotHTTPClient: Sendable {
    package let endpoint: RestEndpoint
    package let eventLoop: any EventLoop
    private let tls: NIOSSLContext?

    /// - Parameter caFile: an extra trusted CA (PEM); the system store is trusted too.
    package init(endpoint: RestEndpoint, eventLoop: any EventLoop, caFile: String? = nil) throws {
        self.endpoint = endpoint
        self.eventLoop = eventLoop
        self.tls = endpoint.useTLS ? try Self.makeTLSContext(caFile: caFile) : nil
    }

    /// The sessions' trust rules (`Capture.makeTLSContext`): TLS 1.2 or later, the certificate
    /// chain and host name fully verified against the system trust store plus an optional extra CA.
    package static func makeTLSContext(caFile: String?) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// Sends `head` (to which `Host`, `Connection: close` and, with a body, `Content-Length` are
    /// added) and `body`, and completes with the whole response, or fails with an
    /// ``HTTPExchangeError``.
    package func send(
        _ head: HTTPRequestHead, body: ByteBuffer? = nil, timeout: Duration, maximumBodyBytes: Int
    ) -> EventLoopFuture<HTTPResponseCollector.Response> {
        let loop = self.eventLoop
        let promise = loop.makePromise(of: HTTPResponseCollector.Response.self)
        let endpoint = self.endpoint
        let tls = self.tls
        var head = head
        head.headers.replaceOrAdd(name: "Host", value: endpoint.hostHeader)
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)") }
        let request = head
        // The channel once connected, and whether the request is over (answered, failed or timed out).
        let attempt = NIOLoopBoundBox<(channel: (any Channel)?, over: Bool)>.makeBoxSendingValue((nil, false), eventLoop: loop)
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(HTTPExchangeError.timedOut(timeout))
            attempt.value.channel?.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in
            deadline.cancel()
            attempt.value.over = true
        }
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
                    try sync.addHandler(HTTPResponseCollector(promise: promise, maximumBodyBytes: maximumBodyBytes))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .hop(to: loop)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(HTTPExchangeError.connectionFailed("\(endpoint.host):\(endpoint.port): \(error)"))
                case .success(let channel):
                    attempt.value.channel = channel
                    if attempt.value.over {
                        channel.close(promise: nil)
                        return
                    }
                    channel.write(HTTPClientRequestPart.head(request), promise: nil)
                    if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                }
            }
        return promise.futureResult
    }
}

/// Why an HTTP exchange of ``OneShotHTTPClient`` produced no response.
package enum HTTPExchangeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// TCP or TLS failed (including an untrusted certificate), or the server closed early.
    case connectionFailed(String)
    /// No complete response within the timeout.
    case timedOut(Duration)
    /// The body exceeded the caller's limit.
    case responseTooLarge(Int)

    package var description: String {
        switch self {
        case .connectionFailed(let why): "connection failed: \(why)"
        case .timedOut(let timeout): "no response within \(HumanDuration.format(timeout))"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        }
    }
}
