import BinanceWire

/// What a replay client asked for in its upgrade request: one of Binance's stream paths
/// (``StreamRequestPath``: `/ws/<streams>`, `/stream?streams=…`, under `/public` or `/market`)
/// and ticktape's replay parameters.
///
/// | parameter | meaning | default |
/// |---|---|---|
/// | `from` | first line received at or after (``ReplayInstant``) | the start of the data |
/// | `to` | stop before the first line received after | the end of the data |
/// | `speed` | `1` recorded pace, any factor, or `max` | `1` |
/// | `gaps` | `true`: announce ledger gaps (`{"replay":"gap",…}`) | `false` |
/// | `snapshots` | `true`: send injected `{"snapshot":…}` lines too | `false` |
/// | `keep_open` | `true`: stay open at the end (a `REPLAY.SEEK` plays again) | `false`: close 1000 |
///
/// Every parameter is ticktape's own, so a pure Binance client that passes none gets only
/// Binance frames, at recorded pace, from the beginning.
struct ReplayRequest: Sendable, Equatable {
    var path: StreamRequestPath
    var from: Int64?
    var to: Int64?
    var speed: ReplaySpeed = .factor(1)
    var gaps = false
    var snapshots = false
    var keepOpen = false

    /// Why a request is refused (HTTP 400 with this reason).
    struct Refusal: Error, Equatable {
        var reason: String
    }

    /// Parses an upgrade URI; nil if the path is not a stream path, a refusal if a parameter is bad.
    static func parse(uri: String) -> Result<ReplayRequest, Refusal>? {
        guard let path = StreamRequestPath(uri: uri) else { return nil }
        var request = ReplayRequest(path: path)
        let query = ServeRequest(method: "GET", uri: uri).query
        func bool(_ name: String) -> Result<Bool, Refusal> {
            switch query[name] {
            case nil, "false", "0": .success(false)
            case "true", "1", "": .success(true)
            case let other?: .failure(Refusal(reason: "parameter '\(name)' must be true or false, got '\(ServeAPIParameters.printable(other))'"))
            }
        }
        for name in ["from", "to"] {
            guard let text = query[name] else { continue }
            guard let ns = ReplayInstant.nanos(text) else {
                return .failure(
                    Refusal(
                        reason: "parameter '\(name)' must be epoch milliseconds (1723161270000), epoch nanoseconds "
                            + "or UTC ISO 8601 (2024-08-08T23:54:30.250Z), got '\(ServeAPIParameters.printable(text))'"))
            }
            if name == "from" { request.from = ns } else { request.to = ns }
        }
        if let from = request.from, let to = request.to, to < from {
            return .failure(Refusal(reason: "'to' (\(ReplayInstant.iso(to))) is before 'from' (\(ReplayInstant.iso(from)))"))
        }
        if let text = query["speed"] {
            guard let speed = ReplaySpeed(text) else {
                return .failure(
                    Refusal(reason: "parameter 'speed' must be a positive factor (1, 10, 0.5) or max, got '\(ServeAPIParameters.printable(text))'"))
            }
            request.speed = speed
        }
        do {
            request.gaps = try bool("gaps").get()
            request.snapshots = try bool("snapshots").get()
            request.keepOpen = try bool("keep_open").get()
        } catch {
            return .failure(error)
        }
        return .success(request)
    }
}
