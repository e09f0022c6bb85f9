import Foundation

/// The WebSocket endpoint a client asked for in its upgrade request.
///
/// Accepted forms, each optionally prefixed by the USD-M routed paths `/public` or `/market`:
/// raw `/ws[/<stream>[/<stream>…]]` (bare payloads) and combined `/stream[?streams=<a>/<b>…]`
/// (`{"stream":…,"data":…}` envelopes). Anything else is not a Binance market-stream URL and gets HTTP 404.
package struct StreamRequestPath: Sendable, Equatable {
    /// Whether frames are wrapped in the combined-stream envelope.
    package var combined: Bool
    /// Streams requested in the URL, in order, exactly as written (Binance matches case-sensitively).
    package var streams: [String]

    /// Parses a request URI; `nil` if it is not a served route.
    package init?(uri: String) {
        let pathPart: Substring
        let query: Substring?
        if let questionMark = uri.firstIndex(of: "?") {
            pathPart = uri[..<questionMark]
            query = uri[uri.index(after: questionMark)...]
        } else {
            pathPart = uri[...]
            query = nil
        }
        var path = pathPart
        for prefix in ["/public", "/market"] where path.hasPrefix(prefix + "/") {
            path = path.dropFirst(prefix.count)
            break
        }
        if path == "/ws" || path == "/ws/" || path.hasPrefix("/ws/") {
            self.combined = false
            self.streams = path.dropFirst(3).split(separator: "/").map { Self.percentDecoded($0) }
        } else if path == "/stream" || path == "/stream/" {
            self.combined = true
            self.streams = []
            for item in (query ?? "").split(separator: "&") where item.hasPrefix("streams=") {
                self.streams += item.dropFirst("streams=".count).split(separator: "/").map { Self.percentDecoded($0) }
            }
        } else {
            return nil
        }
    }

    private static func percentDecoded(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }
}
