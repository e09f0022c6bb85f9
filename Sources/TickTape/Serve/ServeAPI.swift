/// ticktape's own JSON API under `/api/v1/` (described in `docs/openapi.yaml`): health, status,
/// symbols, latest ticks, recent trades, books and bars.
///
/// Every answer is JSON. A bad parameter gets 400 with a message naming it, an unknown symbol
/// (or capture) 404, an unknown path or parameter 404/400; nothing a client sends reaches a
/// `fatalError` or a 500, since the parameters are checked before anything is read.
///
/// Nothing here blocks the listener's event loop: the health check and the book ask the book
/// thread through ``BookService/requestDepth(symbol:market:limit:answer:)`` and answer from its
/// callback (the HTTP handler hops back to its loop); everything else reads atomics, mutexes
/// held for a copy, telemetry snapshots and the seqlocked ``LatestTickStore``.
package struct ServeAPI: Sendable {
    let books: BookService?
    let hub: RelayHub?
    /// The engine, filled in once it exists (it builds this API in its own init).
    let link = ServeAPIEngineLink()

    package init(books: BookService?, hub: RelayHub?) {
        self.books = books
        self.hub = hub
    }

    /// Gives the API the engine it reports on (called by the engine at the end of its init).
    package func attach(engine: CaptureEngine) {
        link.attach(engine)
    }

    /// The paths and the parameters each accepts (anything else is refused with 400).
    static let parameters: [String: Set<String>] = [
        "/api/v1/health": [],
        "/api/v1/status": [],
        "/api/v1/symbols": [],
        "/api/v1/latest": ["symbol"],
        "/api/v1/trades": ["symbol", "limit"],
        "/api/v1/book": ["symbol", "depth", "market"],
        "/api/v1/bars": ["symbol", "interval", "from", "to", "capture"],
    ]

    func answer(_ request: ServeRequest, respond: @escaping @Sendable (ServeResponse) -> Void) {
        guard let accepted = Self.parameters[request.path] else {
            respond(.error(404, "no such path: \(request.path); the API serves \(Self.parameters.keys.sorted().joined(separator: ", "))"))
            return
        }
        if let unknown = request.query.keys.filter({ !accepted.contains($0) }).sorted().first {
            let takes = accepted.isEmpty ? "takes no parameters" : "takes \(accepted.sorted().joined(separator: ", "))"
            respond(.error(400, "unknown parameter '\(ServeAPIParameters.printable(unknown))': \(request.path) \(takes)"))
            return
        }
        if let repeated = request.repeatedNames.sorted().first {
            respond(.error(400, "parameter '\(ServeAPIParameters.printable(repeated))' is given more than once"))
            return
        }
        guard let engine = link.engine else {
            respond(.error(503, "the engine is not running"))
            return
        }
        let view = ServeAPIView(engine: engine, books: books, hub: hub)
        do throws(ServeAPIError) {
            switch request.path {
            case "/api/v1/health":
                health(view, respond: respond)
            case "/api/v1/status":
                respond(.json(200, status(view).compact))
            case "/api/v1/symbols":
                respond(.json(200, symbols(view).compact))
            case "/api/v1/latest":
                respond(.json(200, try latest(view, request).compact))
            case "/api/v1/trades":
                respond(.json(200, try trades(view, request).compact))
            case "/api/v1/book":
                try book(view, request, respond: respond)
            case "/api/v1/bars":
                respond(.json(200, try bars(view, request).compact))
            default:
                respond(.error(404, "no such path: \(request.path)"))
            }
        } catch {
            respond(error.response)
        }
    }
}
