/// Where the metrics endpoint listens: `"127.0.0.1:9464"`, `"[::1]:9464"`, `"0.0.0.0:9464"`.
///
/// Kept as text plus port rather than a resolved socket address so the configuration stays
/// comparable and printable; NIO resolves it when binding.
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP literal or host name, without brackets.
    package var host: String
    /// 0 picks a free port (tests); the bound one is reported by the server.
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether only this machine can connect.
    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port` or `[v6]:port`; nil if it is neither.
    package static func parse(_ text: String) -> ListenAddress? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }),
            let port = Int(portText), (0...65535).contains(port)
        else { return nil }
        return ListenAddress(host: String(host), port: port)
    }
}
