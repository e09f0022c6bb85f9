#if canImport(Glibc)
import Glibc
#endif

/// The token every request to a listener reachable from other hosts must carry
/// (`Authorization: Bearer <token>`), read from `[serve] token_file`.
///
/// Compared in constant time (every byte is looked at whatever the first difference), so the
/// time an answer takes tells nothing about how much of a guess was right. Never logged.
package struct BearerToken: Sendable {
    private let bytes: [UInt8]

    package init(secret: String) {
        bytes = Array(secret.utf8)
    }

    /// Reads the first line of `path` (surrounding whitespace removed).
    package init(file path: String) throws(ServeError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ServeError("cannot read token_file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var data = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &data, data.count)
        guard n > 0 else { throw ServeError("token_file \(path) is empty") }
        let line = data[..<n].prefix { $0 != 10 && $0 != 13 }
        let trimmed = String(decoding: line, as: UTF8.self).trimmingWhitespace
        guard trimmed.utf8.count >= 16 else {
            throw ServeError("token_file \(path) holds a token shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`)")
        }
        bytes = Array(trimmed.utf8)
    }

    /// Whether an `Authorization` header value is `Bearer <this token>`.
    package func accepts(authorization: String?) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let given = Array(authorization.utf8.dropFirst(7))
        var difference = UInt8(truncatingIfNeeded: given.count ^ bytes.count)
        for i in 0..<given.count {
            difference |= given[i] ^ bytes[bytes.isEmpty ? 0 : i % bytes.count]
        }
        return difference == 0 && !bytes.isEmpty
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

/// Why the listener cannot start (bad token file, address in use), said to the operator.
package struct ServeError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
