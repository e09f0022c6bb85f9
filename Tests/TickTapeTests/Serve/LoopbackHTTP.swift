import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a plain socket, for the serve tests: it sends exactly the
/// bytes it is given (malformed request lines, raw unicode, huge headers), which no
/// well-behaved client library would, and reads the answer until the server closes.
/// Blocking, with a receive timeout, so every call is bounded in time.
enum LoopbackHTTP {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed by Foundation (not by the code under test).
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `GET target` (`/api/v1/health?x=y`, sent as written) with `Connection: close`.
    static func get(port: Int, _ target: String, method: String = "GET") throws -> Reply {
        try send(port: port, Array("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
    }

    /// Sends `request` as is and parses what comes back before the server closes.
    static func send(port: Int, _ request: [UInt8], timeout: Int = 10) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            // The server may answer (431) and close before reading everything: read what it said.
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "no answer within \(timeout) s") }
            if n <= 0 { break }
            received += chunk[0..<n]
            if let reply = parse(received), reply.body.count >= (Int(reply.headers["content-length"] ?? "0") ?? 0) { return reply }
        }
        guard let reply = parse(received) else {
            throw Failure(description: "no complete HTTP answer: \(String(decoding: received.prefix(200), as: UTF8.self))")
        }
        return reply
    }

    private static func parse(_ bytes: [UInt8]) -> Reply? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Reply(status: status, headers: headers, body: Array(bytes[(end + 4)...]))
    }
}
