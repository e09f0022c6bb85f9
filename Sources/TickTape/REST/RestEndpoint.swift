/// The base URL snapshots are fetched from (`https://fapi.binance.com`), taken apart and checked.
///
/// The trust rule is the sessions' one, made stricter: `https://` is always verified against the system
/// trust store (plus `ca_file`), and plain `http://` is accepted only for a loopback host (a local
/// simulator), because a snapshot read over an unauthenticated network path could be forged into the book.
package struct RestEndpoint: Sendable, Equatable {
    /// The URL as written.
    package var url: String
    package var useTLS: Bool
    /// Lowercased; an IPv6 address without its brackets.
    package var host: String
    package var port: Int

    package static let acceptedForms = "expected https://HOST[:PORT] like \"https://fapi.binance.com\" (http:// only for 127.0.0.1, ::1 or localhost)"

    /// Parses a base URL: scheme, host and optional port, and nothing else (no path, query or user info).
    package static func parse(_ url: String) throws(ConfigValueError) -> RestEndpoint {
        guard let separator = url.firstRange(of: "://") else {
            throw ConfigValueError("\"\(url)\" is not a URL; \(acceptedForms)")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        let useTLS: Bool
        switch scheme {
        case "https": useTLS = true
        case "http": useTLS = false
        default: throw ConfigValueError("unsupported scheme \"\(scheme)\"; \(acceptedForms)")
        }
        var authority = Substring(url[separator.upperBound...])
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) || $0.asciiValue == nil }) else {
            throw ConfigValueError("\"\(url)\" must be only a scheme, a host and an optional port; \(acceptedForms)")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ConfigValueError("unclosed [ in \"\(url)\"; \(acceptedForms)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ConfigValueError("unexpected text after ] in \"\(url)\"; \(acceptedForms)") }
                portText = rest.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        var port = useTLS ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw ConfigValueError("invalid port \"\(portText)\" in \"\(url)\"; \(acceptedForms)")
            }
            port = value
        }
        guard !host.isEmpty else { throw ConfigValueError("no host in \"\(url)\"; \(acceptedForms)") }
        let lowered = host.lowercased()
        if !useTLS && !Self.isLoopback(lowered) {
            throw ConfigValueError("plain http:// is only allowed for a loopback host, not \(lowered): use https:// (TLS is always verified)")
        }
        return RestEndpoint(url: url, useTLS: useTLS, host: lowered, port: port)
    }

    /// `localhost`, `::1` or an address in 127.0.0.0/8.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether the host is an IP literal (no SNI and no name check against it).
    var isIPLiteral: Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { Int($0) != nil }
    }

    /// `Host:` header value: the port only when it is not the scheme's default.
    var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (useTLS ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }
}
