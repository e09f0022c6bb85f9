/// Which plain-HTTP request goes where: `/` to the ``StatusPage``, Binance's depth REST paths
/// to ``DepthEndpoint``, `/api/v1/…` to ``ServeAPI``, everything else 404.
///
/// One switch on the path rather than a routing library: the listener serves a handful of
/// fixed paths, and the relay's hot path shares its NIO pipeline (see ARCHITECTURE.md,
/// "Serving").
package struct ServeRouter: Sendable {
    let depth: DepthEndpoint
    let api: ServeAPI

    package init(books: BookService?, api: ServeAPI) {
        self.depth = DepthEndpoint(books: books)
        self.api = api
    }

    /// Answers `request`, calling `respond` once (on any thread).
    package func route(_ request: ServeRequest, respond: @escaping @Sendable (ServeResponse) -> Void) {
        guard request.method == "GET" || request.method == "HEAD" else {
            respond(.error(405, "method \(request.method) is not allowed; every path here answers GET"))
            return
        }
        switch request.path {
        case "/":
            respond(StatusPage.answer(request))
        case "/fapi/v1/depth":
            depth.answer(request, market: .usdm, respond: respond)
        case "/api/v3/depth":
            depth.answer(request, market: .spot, respond: respond)
        case _ where request.path.hasPrefix("/api/v1/"):
            api.answer(request, respond: respond)
        case _ where StreamRequestPathCheck.isRelayPath(request.path):
            respond(.error(426, "this path is a WebSocket stream; connect with a WebSocket client (Upgrade: websocket)"))
        default:
            respond(.error(404, "no such path: \(request.path)"))
        }
    }
}

/// Whether a path is one of the relay's WebSocket paths (asked without an upgrade).
enum StreamRequestPathCheck {
    static func isRelayPath(_ path: String) -> Bool {
        var p = Substring(path)
        for prefix in ["/public", "/market"] where p.hasPrefix(prefix + "/") { p = p.dropFirst(prefix.count) }
        return p == "/ws" || p.hasPrefix("/ws/") || p == "/stream" || p == "/stream/"
    }
}
