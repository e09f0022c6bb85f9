import Crypto
import NIOHTTP1

/// AWS Signature Version 4 for S3 requests (the `Authorization` header form), on swift-crypto's
/// HMAC-SHA256.
///
/// Why not libcurl's `CURLOPT_AWS_SIGV4`: the sink's HTTP is ``OneShotHTTPClient`` on NIO, and
/// Debian's curl 7.88 signs query strings verbatim and leaves `x-amz-content-sha256` to the
/// caller; the algorithm is a page of code, checked in the tests against AWS's published S3
/// example and against botocore's signer on the same requests.
///
/// Signed: every header present when ``sign(method:path:query:headers:payloadSHA256:nanos:)``
/// runs (`Host`, the `x-amz-*` ones, `Content-MD5`, `If-None-Match`, …), as botocore does;
/// ``OneShotHTTPClient`` adds only `Connection` and `Content-Length` afterwards. The payload is
/// always hashed (`x-amz-content-sha256` = its SHA-256), so a store that checks it (S3 does)
/// refuses a body other than the signed one.
package struct SigV4Signer: Sendable {
    package let credentials: S3Credentials
    package let region: String
    package let service: String

    package init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (temporary
    /// credentials) and `Authorization` to `headers` for a request of `method` on `path` (already
    /// URI-encoded, see ``encodePath(_:)``) with `query` (raw, unencoded pairs) and a body whose
    /// SHA-256 is `payloadSHA256` (hex), at `nanos` since the epoch. `headers` must hold `Host`.
    package func sign(
        method: String, path: String, query: [(String, String)], headers: inout HTTPHeaders, payloadSHA256: String, nanos: Int64
    ) {
        let stamp = Self.amzDate(nanos: nanos)
        let day = String(stamp.prefix(8))
        headers.replaceOrAdd(name: "x-amz-date", value: stamp)
        headers.replaceOrAdd(name: "x-amz-content-sha256", value: payloadSHA256)
        if let token = credentials.sessionToken { headers.replaceOrAdd(name: "x-amz-security-token", value: token) }
        var signed: [(String, String)] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            if let i = signed.firstIndex(where: { $0.0 == lower }) {
                signed[i].1 += "," + trimmed
            } else {
                signed.append((lower, trimmed))
            }
        }
        signed.sort { $0.0 < $1.0 }
        let signedNames = signed.map(\.0).joined(separator: ";")
        var encodedQuery: [(String, String)] = query.map { (Self.encode($0.0), Self.encode($0.1)) }
        encodedQuery.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let canonicalQuery = encodedQuery.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalRequest = [
            method, path, canonicalQuery, signed.map { "\($0.0):\($0.1)\n" }.joined(), signedNames, payloadSHA256,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, SHA256.hex(of: Array(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = Self.signature(secret: credentials.secretAccessKey, day: day, region: region, service: service, stringToSign: stringToSign)
        headers.replaceOrAdd(
            name: "Authorization",
            value: "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)")
    }

    /// The hex signature of `stringToSign` with the key derived for `day`, `region`, `service`.
    static func signature(secret: String, day: String, region: String, service: String, stringToSign: String) -> String {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [day, region, service, "aws4_request"] { key = hmac(key, part) }
        return HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key).hex
    }

    /// `20130524T000000Z`.
    static func amzDate(nanos: Int64) -> String {
        let iso = UTCInstant.iso(nanos: nanos)  // 2013-05-24T00:00:00.000000000Z
        return String(iso.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every other byte `%XX`
    /// (upper-case hex); `/` kept only when `keepSlash`.
    package static func encode(_ text: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path of `/bucket/key` segments, each encoded once (S3 does not double-encode).
    package static func encodePath(_ path: String) -> String { encode(path, keepSlash: true) }

    /// SHA-256 of the empty body.
    package static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}
