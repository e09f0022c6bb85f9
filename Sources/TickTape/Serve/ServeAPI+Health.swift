import Synchronization

/// `GET /api/v1/health`: per capture `up`, `degraded` or `down` with the reasons, and the
/// worst of them overall; 200 when everything is up, 503 otherwise, so a load balancer or a
/// monitoring probe needs only the status code.
///
/// - `down`: no connection of the capture is open and delivering (nothing is being captured).
/// - `degraded`: capturing, but a connection is not up, a telemetry alarm stands, a storage
///   alarm stands (the disk or sealing fails: data waits in memory), a stream is silent, or a
///   book is (re)synchronising.
extension ServeAPI {
    /// What one capture's health depends on, before the books have answered.
    struct CaptureHealth: Sendable {
        var name: String
        var down: [String] = []
        var degraded: [String] = []
        var books: [(symbol: String, market: BookMarket)] = []
        var connectionsUp = 0
        var connections = 0
        var delivering = false
    }

    func health(_ view: ServeAPIView, respond: @escaping @Sendable (ServeResponse) -> Void) {
        let snapshots = view.engine.telemetry?.snapshots ?? [:]
        var captures: [CaptureHealth] = []
        for capture in view.engine.captures {
            let name = capture.config.name
            var h = CaptureHealth(name: name)
            h.connections = capture.sessions.count
            h.connectionsUp = capture.connectionsUp
            h.delivering = capture.isDelivering
            if !h.delivering { h.down.append("no connection is open and delivering") }
            if h.connectionsUp < h.connections {
                h.degraded.append("\(h.connections - h.connectionsUp) of \(h.connections) connections not connected")
            }
            for alarm in snapshots[name]?.alarms ?? [] {
                let on = alarm.connection.map { "connection \($0)" } ?? "merged stream"
                h.degraded.append("alarm \(alarm.kind.rawValue) (\(on)): \(alarm.detail)")
            }
            for alarm in capture.writer.health.statusAlarms { h.degraded.append("storage: \(alarm)") }
            let silent = capture.merger.statistics.silentStreams.load(ordering: .relaxed)
            if silent > 0 { h.degraded.append("\(silent) stream\(silent == 1 ? "" : "s") silent") }
            h.books = view.carried.filter { $0.capture == name && $0.book }.map { ($0.symbol, $0.market) }
            captures.append(h)
        }
        let books = view.books
        let pairs = Set(captures.flatMap { $0.books.map { "\($0.market.rawValue)/\($0.symbol)" } }).sorted()
        guard let books, !pairs.isEmpty else {
            respond(Self.healthResponse(captures, resyncing: []))
            return
        }
        // Ask the book thread about every book at once; answer when the last reply is in.
        let pending = HealthReplies(expected: pairs.count)
        let gathered = captures
        for pair in pairs {
            let parts = pair.split(separator: "/")
            let market = BookMarket(rawValue: String(parts[0])) ?? .usdm
            books.requestDepth(symbol: String(parts[1]), market: market, limit: 1) { answer in
                let synced: Bool
                if case .book = answer { synced = true } else { synced = false }
                guard let resyncing = pending.add(pair, synced: synced) else { return }
                respond(Self.healthResponse(gathered, resyncing: resyncing))
            }
        }
    }

    static func healthResponse(_ captures: [CaptureHealth], resyncing: Set<String>) -> ServeResponse {
        var worst = captures.isEmpty ? 2 : 0
        var items: [JSONValue] = []
        for var c in captures {
            for book in c.books where resyncing.contains("\(book.market.rawValue)/\(book.symbol)") {
                c.degraded.append("book \(book.symbol) (\(book.market.rawValue)) is synchronising")
            }
            let level = !c.down.isEmpty ? 2 : (!c.degraded.isEmpty ? 1 : 0)
            worst = max(worst, level)
            items.append(
                .object([
                    ("name", .string(c.name)), ("status", .string(statusNames[level])),
                    ("reasons", ServeAPIJSON.strings(c.down + c.degraded)),
                    ("connections", .object([("up", ServeAPIJSON.int(c.connectionsUp)), ("configured", ServeAPIJSON.int(c.connections))])),
                    ("delivering", .bool(c.delivering)),
                ]))
        }
        var fields: [(String, JSONValue)] = [("status", .string(statusNames[worst]))]
        if captures.isEmpty { fields.append(("reasons", ServeAPIJSON.strings(["no capture is running"]))) }
        fields.append(("captures", .array(items)))
        return .json(worst == 0 ? 200 : 503, JSONValue.object(fields).compact)
    }

    static let statusNames = ["up", "degraded", "down"]
}

/// Collects the book thread's replies for one health request; the last one completes it.
final class HealthReplies: Sendable {
    private let state: Mutex<(left: Int, resyncing: Set<String>)>

    init(expected: Int) { state = Mutex((expected, [])) }

    /// Records one reply; returns the books not synced once every reply is in, else nil.
    func add(_ pair: String, synced: Bool) -> Set<String>? {
        state.withLock { s in
            if !synced { s.resyncing.insert(pair) }
            s.left -= 1
            return s.left == 0 ? s.resyncing : nil
        }
    }
}
