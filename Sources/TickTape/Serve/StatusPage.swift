/// `GET /`: the live status page, one HTML document with its style and script inline, embedded
/// in the binary (no CDN, no files to install, works with no internet).
///
/// The page holds no data: its script reads `/api/v1/status`, `/latest` and `/book` once a
/// second and builds the 15-minute charts in the browser, so the daemon's cost is that of a
/// few API polls (measured in ARCHITECTURE.md, "Status page"). Style and script are inline so
/// the page is one request and needs no auth of its own: it is served without a token even when
/// the listener has one, and its script sends the token (taken from the URL fragment
/// `#token=…`, which browsers never send to a server, or typed in) as `Authorization: Bearer`
/// with every API request. A `token` in the query string is refused so that it never travels
/// in a request line (proxies and access logs keep those).
package enum StatusPage {
    /// The document's bytes, assembled once.
    static let document: [UInt8] = Array(html(style: style, script: script).utf8)

    /// Inline style and script only; the API on this origin; nothing framed, no referrer sent.
    static let headers: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
    ]

    /// Whether a request target is the page (`/`, whatever its query): the one path the
    /// listener answers without a token.
    static func isPage(uri: String) -> Bool {
        uri == "/" || uri.hasPrefix("/?")
    }

    static func answer(_ request: ServeRequest) -> ServeResponse {
        if request.query["token"] != nil {
            return .error(400, "give the token after '#' (/#token=…), never in the query: a query travels in the request line")
        }
        if let name = request.query.keys.sorted().first {
            return .error(400, "unknown parameter '\(ServeAPIParameters.printable(name))': / takes no parameters")
        }
        return ServeResponse(status: 200, contentType: "text/html; charset=utf-8", body: document, headers: headers)
    }
}
