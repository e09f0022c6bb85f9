/// A Binance market-data WebSocket URL, taken apart and checked.
///
/// Binance accepts many stream names and routes that then deliver nothing (uppercase
/// symbols, book streams on the `/market` route, ...). Those are silent failures for a
/// capture daemon, so `parse` rejects them with a message saying what to write instead.
package struct StreamEndpoint: Sendable, Equatable {
    /// The URL exactly as written in the configuration.
    package var url: String
    /// `wss://` → true, `ws://` → false.
    package var useTLS: Bool
    /// The host to connect to and to send in `Host:`, lowercased; an IPv6 address is kept
    /// without its brackets.
    package var host: String
    /// The port to connect to: as written, else 443 for `wss`, 80 for `ws`.
    package var port: Int
    /// Path and query exactly as they are to be sent in the `GET` request line.
    package var requestURI: String
    /// Which Binance route the URL points at (decides which stream types are allowed).
    package var route: BinanceRoute
    /// Stream names from the URL (`/ws/a/b` or `?streams=a/b`); may be empty when the
    /// capture lists its streams in `subscribe`.
    package var streams: [String]
    /// True for the `/stream?streams=` form, whose frames are wrapped as
    /// `{"stream":"...","data":{...}}`; false for the raw `/ws/` form.
    package var combined: Bool

    /// Builds an endpoint without checks, for tests that need one `parse` would refuse.
    package init(
        url: String, useTLS: Bool, host: String, port: Int, requestURI: String,
        route: BinanceRoute, streams: [String], combined: Bool
    ) {
        self.url = url
        self.useTLS = useTLS
        self.host = host
        self.port = port
        self.requestURI = requestURI
        self.route = route
        self.streams = streams
        self.combined = combined
    }

    static let acceptedForms = """
        expected wss://HOST[:PORT]/ws/<stream>[/<stream>...] or wss://HOST[:PORT]/stream?streams=<stream>[/<stream>...] \
        (ws:// for local tests), optionally with a /public or /market route prefix on USD-M futures hosts, \
        e.g. wss://fstream.binance.com/public/ws/btcusdt@bookTicker
        """

    private static let spotHosts: Set<String> = ["stream.binance.com", "data-stream.binance.vision"]
    private static let usdmHosts: Set<String> = [
        "fstream.binance.com", "fstream-auth.binance.com", "fstream-mm.binance.com", "fstream.binancefuture.com",
    ]

    /// Parses and checks a stream URL; the error message says what is wrong and which forms
    /// are accepted.
    package static func parse(_ url: String) throws(ConfigValueError) -> StreamEndpoint {
        guard !url.isEmpty else {
            throw ConfigValueError("the url is empty; \(acceptedForms)")
        }
        if let bad = url.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            let what = bad == " " ? "a space" : "the character U+\(String(bad.value, radix: 16, uppercase: true))"
            throw ConfigValueError("the url contains \(what); \(acceptedForms)")
        }
        guard let separator = url.firstRange(of: "://") else {
            throw ConfigValueError("\"\(url)\" is not a URL; \(acceptedForms)")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        let useTLS: Bool
        switch scheme {
        case "wss": useTLS = true
        case "ws": useTLS = false
        default:
            throw ConfigValueError("unsupported scheme \"\(scheme)\": use wss:// (or ws:// for local tests); \(acceptedForms)")
        }
        let rest = url[separator.upperBound...]
        if rest.contains("#") {
            throw ConfigValueError("a fragment (#...) is not allowed in the url; \(acceptedForms)")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathAndQuery = rest[authorityEnd...]
        if authority.contains("@") {
            throw ConfigValueError("user info (user@host) is not allowed in the url; \(acceptedForms)")
        }
        let (host, writtenPort) = try parseAuthority(authority)
        let port = writtenPort ?? (useTLS ? 443 : 80)
        guard pathAndQuery.first == "/" else {
            throw ConfigValueError("the url has no path; \(acceptedForms)")
        }
        let queryStart = pathAndQuery.firstIndex(of: "?")
        var path = pathAndQuery[..<(queryStart ?? pathAndQuery.endIndex)]
        let query = queryStart.map { pathAndQuery[pathAndQuery.index(after: $0)...] }

        let lowerHost = host.lowercased()
        // Spot is recognised by its hosts only: port 9443 alone says nothing (a local simulator may use it).
        let isSpot = spotHosts.contains(lowerHost)
        let isUSDM = usdmHosts.contains(lowerHost)
        var prefix: BinanceRoute?
        for (name, route) in [("/public", BinanceRoute.usdmPublic), ("/market", .usdmMarket)]
        where prefix == nil && (path == name || path.hasPrefix(name + "/")) {
            prefix = route
            path = path.dropFirst(name.count)
        }
        if prefix != nil && isSpot {
            throw ConfigValueError("the /public and /market routes exist only on USD-M futures hosts (fstream.binance.com), not on spot host \(host)")
        }
        let route: BinanceRoute = isSpot ? .spot : isUSDM ? (prefix ?? .legacy) : .other

        var streams: [String] = []
        let combined: Bool
        let parameters = try parseQuery(query)
        if path == "/ws" || path.hasPrefix("/ws/") {
            combined = false
            if parameters.contains(where: { $0.name == "streams" }) {
                throw ConfigValueError("streams= belongs to the /stream form (…/stream?streams=a/b); the /ws form takes streams in the path (…/ws/a/b)")
            }
            let names = path.dropFirst(3)
            if !names.isEmpty && names != "/" {
                streams = names.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            }
        } else if path == "/stream" {
            combined = true
            let streamParameters = parameters.filter { $0.name == "streams" }
            if streamParameters.count > 1 {
                throw ConfigValueError("streams= is given more than once in the url")
            }
            if let value = streamParameters.first?.value {
                guard !value.isEmpty else {
                    throw ConfigValueError("streams= is empty; list streams separated by '/', e.g. ?streams=btcusdt@bookTicker/ethusdt@bookTicker")
                }
                streams = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            }
        } else {
            throw ConfigValueError("unsupported path \"\(path)\"; \(acceptedForms)")
        }
        var seen: Set<String> = []
        for stream in streams {
            guard !stream.isEmpty else {
                throw ConfigValueError("the url has an empty stream name (a doubled or trailing '/')")
            }
            guard seen.insert(stream).inserted else {
                throw ConfigValueError("stream \(stream) is listed twice in the url")
            }
            try validateStreamName(stream, route: route)
        }
        return StreamEndpoint(
            url: url, useTLS: useTLS, host: lowerHost, port: port, requestURI: String(pathAndQuery),
            route: route, streams: streams, combined: combined)
    }

    /// Checks a stream name (from the URL or from `subscribe`) and that the route delivers it.
    ///
    /// Only the symbol part (before the first `@`) must be lowercase: the stream type is
    /// camelCase (`@bookTicker`, `@aggTrade`). All-market streams start with `!`.
    package static func validateStreamName(_ name: String, route: BinanceRoute) throws(ConfigValueError) {
        guard !name.isEmpty else {
            throw ConfigValueError("empty stream name")
        }
        for scalar in name.unicodeScalars {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || "@_-.!".unicodeScalars.contains(scalar)
            guard ok else {
                throw ConfigValueError("stream name \(name) contains '\(scalar)'; stream names look like btcusdt@bookTicker")
            }
        }
        let type: Substring
        if name.hasPrefix("!") {
            type = name.dropFirst()
            guard !type.isEmpty, !type.contains("!") else {
                throw ConfigValueError("invalid stream name \(name); all-market streams look like !bookTicker")
            }
        } else {
            guard let at = name.firstIndex(of: "@"), at != name.startIndex, name.index(after: at) != name.endIndex,
                !name.contains("!")
            else {
                throw ConfigValueError("stream name \(name) must look like <symbol>@<type>, e.g. btcusdt@bookTicker")
            }
            let symbol = name[..<at]
            if symbol.contains(where: \.isUppercase) {
                let fixed = symbol.lowercased() + name[at...]
                throw ConfigValueError(
                    "stream names must be lowercase: \(name) delivers nothing on Binance (the subscription is acknowledged but no data arrives); write \(fixed)")
            }
            type = name[name.index(after: at)...]
        }
        let base = type.prefix { $0 != "@" }
        let publicOnly = base == "bookTicker" || base.hasPrefix("depth") || base == "trade"
        let marketOnly = base == "aggTrade" || base == "markPrice" || base.hasPrefix("kline_")
        if route == .usdmMarket && publicOnly {
            throw ConfigValueError(
                "\(name) is not delivered on the /market route (since 2026-04 book streams are only on /public); use wss://fstream.binance.com/public/... for it")
        }
        if route == .usdmPublic && marketOnly {
            throw ConfigValueError(
                "\(name) is not delivered on the /public route (since 2026-04 it is only on /market); use wss://fstream.binance.com/market/... for it")
        }
    }

    private static func parseAuthority(_ authority: Substring) throws(ConfigValueError) -> (String, Int?) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ConfigValueError("unterminated IPv6 address in the url (missing ']')")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else {
                    throw ConfigValueError("unexpected \"\(after)\" after the IPv6 address in the url")
                }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw ConfigValueError("invalid IPv6 address [\(host)] in the url")
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else {
                throw ConfigValueError("the url has no host; \(acceptedForms)")
            }
            let valid = host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }
                && host.first != "." && host.first != "-" && host.last != "-" && !host.contains("..")
            guard valid else {
                throw ConfigValueError("invalid host \"\(host)\" in the url")
            }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw ConfigValueError("invalid port \"\(portText)\" in the url (expected 1 to 65535)")
            }
            port = value
        }
        return (String(host), port)
    }

    private static func parseQuery(_ query: Substring?) throws(ConfigValueError) -> [(name: Substring, value: Substring)] {
        guard let query else { return [] }
        guard !query.isEmpty else { return [] }
        var parameters: [(name: Substring, value: Substring)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = part.firstIndex(of: "="), equals != part.startIndex else {
                throw ConfigValueError("invalid query parameter \"\(part)\" in the url (expected name=value)")
            }
            parameters.append((part[..<equals], part[part.index(after: equals)...]))
        }
        return parameters
    }
}
