import BinanceWire

/// A request the listener answers over plain HTTP: its path and decoded query parameters.
package struct ServeRequest: Sendable {
    package var method: String
    package var path: String
    /// Query parameters, percent-decoded; a name given twice keeps the first value.
    package var query: [String: String]
    /// Names given more than once (ticktape's own API refuses them rather than guess which
    /// value was meant; Binance's paths keep the first).
    package var repeatedNames: Set<String>

    package init(method: String, uri: String) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init) ?? "/"
        var query: [String: String] = [:]
        var repeated: Set<String> = []
        if parts.count == 2 {
            for item in parts[1].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = Self.percentDecoded(pair[0])
                if query[name] == nil {
                    query[name] = pair.count == 2 ? Self.percentDecoded(pair[1]) : ""
                } else {
                    repeated.insert(name)
                }
            }
        }
        self.query = query
        repeatedNames = repeated
    }

    /// `%XX` and `+` decoded; an invalid escape is kept as written (the parameter then fails
    /// its own validation with a message naming it).
    static func percentDecoded(_ text: Substring) -> String {
        String(decoding: PercentDecoding.bytes(text, formEncoded: true) ?? [], as: UTF8.self)
    }
}

/// What the listener sends back to a plain HTTP request.
package struct ServeResponse: Sendable {
    package var status: Int
    package var contentType: String
    package var body: [UInt8]
    package var headers: [(String, String)]

    package init(status: Int, contentType: String = "application/json", body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A JSON body given as text.
    package static func json(_ status: Int, _ text: String) -> ServeResponse {
        ServeResponse(status: status, body: Array(text.utf8))
    }

    /// ticktape's own error shape: `{"error":"…"}` with a message that names the parameter.
    package static func error(_ status: Int, _ message: String) -> ServeResponse {
        json(status, #"{"error":"# + JSONString.quoted(message) + "}")
    }

    /// Binance's error shape for its REST paths: `{"code":-1121,"msg":"Invalid symbol."}`.
    package static func binanceError(_ status: Int, code: Int, _ message: String) -> ServeResponse {
        json(status, #"{"code":"# + String(code) + #","msg":"# + JSONString.quoted(message) + "}")
    }
}

