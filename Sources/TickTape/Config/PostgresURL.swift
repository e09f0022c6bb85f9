/// A PostgreSQL connection URL, `postgres://user@host[:port]/database[?sslmode=…&sslrootcert=…]`,
/// parsed strictly.
///
/// A password in the URL is refused: the configuration file is readable by more people than a
/// secret should be, and a URL ends up in logs. The password comes from `password_file` or
/// `password_env` instead. So nothing this type holds is secret, and ``description`` may be logged.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// libpq's `sslmode` values. Unlike libpq, ticktape verifies the certificate in every TLS
    /// mode (see `PostgresSinkTarget.tls()`).
    package enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP.
        case disable
        /// Plain TCP on loopback; to any other host as `require` (libpq's default mode, without
        /// its unverified TLS and its plain-text fallback over the network).
        case prefer
        /// TLS, certificate chain and host name checked (libpq would check nothing).
        case require
        /// TLS, certificate chain checked against the trust store (and `sslrootcert`).
        case verifyCA = "verify-ca"
        /// TLS, chain and host name checked: the only mode that stops an impostor.
        case verifyFull = "verify-full"
    }

    package var user: String
    package var host: String
    package var port: Int
    package var database: String
    package var tls: TLSMode
    /// `sslrootcert`: an extra trusted CA (PEM, absolute path).
    package var rootCertificate: String?

    /// Whether ``host`` is this machine (`localhost`, `127.0.0.0/8`, `::1`).
    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    package init(
        user: String, host: String, port: Int = 5432, database: String, tls: TLSMode = .prefer,
        rootCertificate: String? = nil
    ) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
        self.rootCertificate = rootCertificate
    }

    /// The URL again (never with a password: it cannot hold one).
    package var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(user)@\(hostPart):\(port)/\(database)"
        var query: [String] = []
        if tls != .prefer { query.append("sslmode=\(tls.rawValue)") }
        if let rootCertificate { query.append("sslrootcert=\(rootCertificate)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    /// Parses `text`. Errors never repeat what stood between `://` and `@`, where a password
    /// would be.
    package static func parse(_ text: String) throws(ConfigValueError) -> PostgresURL {
        let example = "like \"postgres://ticktape@127.0.0.1:5432/market\""
        var rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else {
            throw ConfigValueError("must start with postgres:// or postgresql://, \(example)")
        }
        var queryText: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw ConfigValueError("names no user; write it before the host, \(example)")
        }
        let userInfo = rest[..<at]
        if userInfo.contains(":") {
            throw ConfigValueError(
                "must not contain a password (user:password@…); put it in password_file or the environment variable named by password_env")
        }
        guard let user = percentDecoded(userInfo), !user.isEmpty else {
            throw ConfigValueError("names no user (or it is badly %-encoded), \(example)")
        }
        let hostAndPath = rest[rest.index(after: at)...]
        guard let slash = hostAndPath.firstIndex(of: "/") else {
            throw ConfigValueError("names no database; end it with /<database>, \(example)")
        }
        guard let database = percentDecoded(hostAndPath[hostAndPath.index(after: slash)...]), !database.isEmpty,
            !database.contains("/")
        else {
            throw ConfigValueError("names no database (or it is badly %-encoded), \(example)")
        }
        var hostPort = hostAndPath[..<slash]
        var host: String
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw ConfigValueError("has an unclosed [ in its host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if !hostPort.isEmpty {
                guard hostPort.hasPrefix(":") else { throw ConfigValueError("has something after ] that is not :<port>") }
                hostPort = hostPort.dropFirst()
                guard let p = Int(hostPort), (1...65535).contains(p) else {
                    throw ConfigValueError("has a port that is not a number from 1 to 65535")
                }
                port = p
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw ConfigValueError("has a port that is not a number from 1 to 65535")
            }
            port = p
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) else {
            throw ConfigValueError("names no host, \(example)")
        }
        var url = PostgresURL(user: user, host: host, port: port, database: database)
        for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count == 2 ? (percentDecoded(parts[1]) ?? "") : ""
            switch key {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    let names = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ConfigValueError("sslmode must be one of \(names), got \(TOMLValue.quoted(value))")
                }
                url.tls = mode
            case "sslrootcert":
                guard value.hasPrefix("/") else {
                    throw ConfigValueError("sslrootcert must be an absolute path to a PEM file")
                }
                url.rootCertificate = value
            default:
                throw ConfigValueError(
                    "has an unsupported parameter \(TOMLValue.quoted(key)); supported: sslmode, sslrootcert")
            }
        }
        if url.rootCertificate != nil && url.tls == .disable {
            throw ConfigValueError("sslrootcert is not used with sslmode=disable")
        }
        return url
    }

    /// `%XX` decoded, or nil when an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        PercentDecoding.bytes(text, formEncoded: false).flatMap { String(validating: $0, as: UTF8.self) }
    }
}
