import NIOCore
import NIOHTTP1

/// Plain HTTP on the replay server: the history API (`/api/v1/range`, `/api/v1/history`) and
/// the reasons a stream URL was not upgraded (a bad replay parameter 400, no upgrade 426).
///
/// A history response is streamed: lines go out as the cursor reads them, a write buffer's
/// worth at a time, and reading waits while the socket is not writable, so a response of
/// `limit` lines never sits in memory whole.
final class ReplayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let dataDirectory: String
    private var head: HTTPRequestHead?
    /// The history response being streamed.
    private var streaming: (cursor: ReplayCursor, query: ReplayHistoryQuery.History, sent: Int, keepAlive: Bool)?

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            return
        case .end:
            guard let head, streaming == nil else { return }
            self.head = nil
            answer(head, context: context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, streaming != nil { pumpHistory(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = ServeRequest(method: head.method.rawValue, uri: head.uri)
        let keepAlive = head.isKeepAlive
        guard head.method == .GET else {
            write(.error(405, "method \(head.method.rawValue) is not allowed; every path here answers GET"), keepAlive: false, context: context)
            return
        }
        let catalog = ReplayCatalog.scan(dataDirectory)
        do {
            switch request.path {
            case "/api/v1/range":
                write(try ReplayHistoryQuery.range(request, catalog: catalog), keepAlive: keepAlive, context: context)
            case "/api/v1/history":
                let query = try ReplayHistoryQuery.history(request, catalog: catalog)
                let cursor: ReplayCursor
                do {
                    cursor = try ReplayCursor(
                        catalog: catalog, from: query.from, to: query.to, streams: [query.stream], snapshots: false,
                        resume: query.resume)
                } catch {
                    throw ServeAPIError(500, "cannot read the data: \(error)")
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/x-ndjson")
                headers.add(name: "Cache-Control", value: "no-store")
                headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
                streaming = (cursor, query, 0, keepAlive)
                pumpHistory(context: context)
            case _ where StreamRequestPathCheck.isRelayPath(request.path):
                if case .failure(let refusal)? = ReplayRequest.parse(uri: head.uri) {
                    write(.error(400, refusal.reason), keepAlive: false, context: context)
                } else {
                    write(
                        .error(426, "this path is a WebSocket stream; connect with a WebSocket client (Upgrade: websocket)"),
                        keepAlive: keepAlive, context: context)
                }
            default:
                write(.error(404, "no such path: \(request.path); the replay server answers /ws, /stream, /api/v1/range, /api/v1/history"),
                    keepAlive: keepAlive, context: context)
            }
        } catch let error as ServeAPIError {
            write(error.response, keepAlive: keepAlive, context: context)
        } catch {
            write(.error(500, "\(error)"), keepAlive: false, context: context)
        }
    }

    private func pumpHistory(context: ChannelHandlerContext) {
        guard var job = streaming else { return }
        var out = context.channel.allocator.buffer(capacity: 80 << 10)
        defer { if streaming != nil { streaming = job } }
        do {
            while context.channel.isWritable {
                guard let line = job.cursor.peek() else {
                    endHistory(out, next: nil, job: job, context: context)
                    return
                }
                if job.sent == job.query.limit {
                    endHistory(out, next: "\(line.location.segment)~\(line.location.line - 1)", job: job, context: context)
                    return
                }
                out.writeString(String(line.stamp))
                out.writeInteger(UInt8(ascii: " "))
                job.cursor.withFrame { out.writeBytes($0) }
                out.writeInteger(UInt8(ascii: "\n"))
                job.sent += 1
                try job.cursor.advance()
                if out.readableBytes >= 64 << 10 {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
                    out = context.channel.allocator.buffer(capacity: 80 << 10)
                }
            }
            if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil) }
        } catch {
            // The head is out: the only honest signal left is to cut the response.
            streaming = nil
            context.close(promise: nil)
        }
    }

    private func endHistory(_ buffer: ByteBuffer, next: String?, job: (cursor: ReplayCursor, query: ReplayHistoryQuery.History, sent: Int, keepAlive: Bool), context: ChannelHandlerContext) {
        var out = buffer
        if let next { out.writeString(#"{"next":""# + next + "\"}\n") }
        streaming = nil
        if out.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !job.keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func write(_ response: ServeResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        response.write(to: context, version: .http1_1, keepAlive: keepAlive)
    }
}
