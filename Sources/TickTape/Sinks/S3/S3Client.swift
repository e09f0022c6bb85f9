#if canImport(Glibc)
import Glibc
#endif
import Crypto
import NIOCore
import NIOHTTP1

/// The S3 requests the archive needs (PUT, multipart, HEAD, GET, list), signed with SigV4 and
/// sent by ``OneShotHTTPClient``. Blocking: called on the sink's own thread (or the CLI's), never
/// on an event loop or the cooperative pool.
///
/// Each request is retried here up to ``attempts`` times on an answer worth repeating (no answer,
/// 5xx, `SlowDown`, 429), with exponential backoff and full jitter (100 ms, 200 ms, 400 ms, …
/// times a random factor in [0.5, 1]), as AWS recommends; what still fails goes to the runner,
/// whose own backoff (up to `retry_max`) takes over.
package final class S3Client: Sendable {
    package let config: S3SinkConfig
    private let http: OneShotHTTPClient
    private let signer: SigV4Signer
    private let basePath: String
    package let attempts: Int
    /// A listing, an error or a multipart answer is small; a GET of a segment is bounded by this.
    package static let maximumObjectBytes = 2 << 30

    package init(config: S3SinkConfig, credentials: S3Credentials, eventLoop: any EventLoop, attempts: Int = 4) throws(SinkError) {
        self.config = config
        var endpoint = config.endpoint
        if !config.pathStyle { endpoint.host = config.bucket + "." + endpoint.host }
        do {
            http = try OneShotHTTPClient(endpoint: endpoint, eventLoop: eventLoop, caFile: config.caFile)
        } catch {
            throw .configuration("S3 TLS setup failed: \(error)")
        }
        signer = SigV4Signer(credentials: credentials, region: config.region)
        basePath = config.pathStyle ? "/" + config.bucket : ""
        self.attempts = attempts
    }

    /// The answer of a request that succeeded (2xx).
    package struct Answer: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: ByteBuffer
        package var text: String { String(buffer: body) }
    }

    // MARK: Objects

    /// `PUT key` with `If-None-Match: *` (never overwrites), the SHA-256 checksum the store
    /// verifies, `Content-MD5`, encryption, storage class and `extra` headers (metadata).
    package func putNew(key: String, body: ByteBuffer, sha256: [UInt8], md5: [UInt8], extra: [(String, String)] = []) throws(S3Error) -> Answer {
        var headers = objectHeaders()
        headers.add(name: "If-None-Match", value: "*")
        headers.add(name: "x-amz-checksum-sha256", value: Self.base64(sha256))
        headers.add(name: "x-amz-sdk-checksum-algorithm", value: "SHA256")
        headers.add(name: "Content-MD5", value: Self.base64(md5))
        for (name, value) in extra { headers.add(name: name, value: value) }
        return try send(.PUT, key: key, headers: headers, body: body, payloadSHA256: sha256.hex)
    }

    /// `HEAD key` with the stored checksum asked for; nil when there is no such object.
    package func head(key: String) throws(S3Error) -> HTTPHeaders? {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-checksum-mode", value: "ENABLED")
        do {
            return try send(.HEAD, key: key, headers: headers).headers
        } catch where error.status == 404 {
            return nil
        }
    }

    /// `GET key`: the whole object.
    package func get(key: String) throws(S3Error) -> ByteBuffer {
        try send(.GET, key: key, maximumBodyBytes: Self.maximumObjectBytes).body
    }

    /// Every key under `prefix` with its size (ListObjectsV2, all pages).
    package func list(prefix: String) throws(S3Error) -> [(key: String, size: Int64)] {
        var out: [(String, Int64)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let text = try send(.GET, key: nil, query: query, maximumBodyBytes: 64 << 20).text
            for block in S3XML.blocks("Contents", in: text) {
                guard let key = S3XML.first("Key", in: block) else { continue }
                out.append((key, S3XML.first("Size", in: block).flatMap { Int64($0) } ?? -1))
            }
            token = S3XML.first("IsTruncated", in: text) == "true" ? S3XML.first("NextContinuationToken", in: text) : nil
        } while token != nil
        return out
    }

    /// A one-key listing under `prefix`: the bucket exists, answers, and takes these credentials.
    package func probe(prefix: String) throws(S3Error) {
        _ = try send(.GET, key: nil, query: [("list-type", "2"), ("max-keys", "1"), ("prefix", prefix)])
    }

    // MARK: Multipart

    /// CreateMultipartUpload; returns the upload id.
    package func createMultipart(key: String, extra: [(String, String)] = []) throws(S3Error) -> String {
        var headers = objectHeaders()
        headers.add(name: "x-amz-checksum-algorithm", value: "SHA256")
        for (name, value) in extra { headers.add(name: name, value: value) }
        let text = try send(.POST, key: key, query: [("uploads", "")], headers: headers).text
        guard let id = S3XML.first("UploadId", in: text), !id.isEmpty else {
            throw S3Error(status: 200, code: "MalformedAnswer", message: "no UploadId in the answer", request: "POST \(key)?uploads")
        }
        return id
    }

    /// UploadPart; returns the part's ETag (quotes included, as S3 wants it back).
    package func uploadPart(key: String, uploadID: String, number: Int, body: ByteBuffer, sha256: [UInt8], md5: [UInt8]) throws(S3Error) -> String {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-checksum-sha256", value: Self.base64(sha256))
        headers.add(name: "Content-MD5", value: Self.base64(md5))
        let answer = try send(
            .PUT, key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)], headers: headers, body: body,
            payloadSHA256: sha256.hex)
        guard let etag = answer.headers.first(name: "ETag") else {
            throw S3Error(status: answer.status, code: "MalformedAnswer", message: "no ETag for part \(number)", request: "PUT \(key) part")
        }
        return etag
    }

    /// CompleteMultipartUpload with `If-None-Match: *`; returns the object's ETag.
    package func completeMultipart(key: String, uploadID: String, parts: [S3UploadState.Part]) throws(S3Error) -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag>"
            xml += "<ChecksumSHA256>\(part.sha256)</ChecksumSHA256></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers = HTTPHeaders()
        headers.add(name: "If-None-Match", value: "*")
        headers.add(name: "Content-Type", value: "application/xml")
        let body = ByteBuffer(string: xml)
        let answer = try send(.POST, key: key, query: [("uploadId", uploadID)], headers: headers, body: body, payloadSHA256: SHA256.hex(of: Array(xml.utf8)))
        // S3 may answer 200 with an <Error> body once the completion has started.
        let text = answer.text
        if text.contains("<Error>") {
            throw S3Error(
                status: 200, code: S3XML.first("Code", in: text) ?? "InternalError", message: S3XML.first("Message", in: text) ?? "",
                request: "POST \(key)?uploadId")
        }
        return S3XML.first("ETag", in: text) ?? answer.headers.first(name: "ETag") ?? ""
    }

    /// ListParts: the parts the store holds for an upload (all pages).
    package func listParts(key: String, uploadID: String) throws(S3Error) -> [(number: Int, etag: String, size: Int64)] {
        var out: [(Int, String, Int64)] = []
        var marker: String?
        repeat {
            var query = [("uploadId", uploadID)]
            if let marker { query.append(("part-number-marker", marker)) }
            let text = try send(.GET, key: key, query: query, maximumBodyBytes: 16 << 20).text
            for block in S3XML.blocks("Part", in: text) {
                guard let n = S3XML.first("PartNumber", in: block).flatMap({ Int($0) }), let etag = S3XML.first("ETag", in: block) else { continue }
                out.append((n, etag, S3XML.first("Size", in: block).flatMap { Int64($0) } ?? -1))
            }
            marker = S3XML.first("IsTruncated", in: text) == "true" ? S3XML.first("NextPartNumberMarker", in: text) : nil
        } while marker != nil
        return out
    }

    /// AbortMultipartUpload (a 404 means it is gone already).
    package func abortMultipart(key: String, uploadID: String) throws(S3Error) {
        do {
            _ = try send(.DELETE, key: key, query: [("uploadId", uploadID)])
        } catch where error.status == 404 {
        }
    }

    // MARK: Sending

    /// The encryption and storage-class headers of a new object.
    private func objectHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        switch config.encryption {
        case .none: break
        case .aes256: headers.add(name: "x-amz-server-side-encryption", value: "AES256")
        case .kms(let keyID):
            headers.add(name: "x-amz-server-side-encryption", value: "aws:kms")
            if let keyID { headers.add(name: "x-amz-server-side-encryption-aws-kms-key-id", value: keyID) }
        }
        if config.storageClass != "STANDARD" { headers.add(name: "x-amz-storage-class", value: config.storageClass) }
        return headers
    }

    /// Signs and sends one request, retrying what is worth retrying; throws the last failure.
    private func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: HTTPHeaders = HTTPHeaders(),
        body: ByteBuffer? = nil, payloadSHA256: String = SigV4Signer.emptyPayloadSHA256, maximumBodyBytes: Int = 1 << 20
    ) throws(S3Error) -> Answer {
        let path = basePath + "/" + (key.map { SigV4Signer.encodePath($0) } ?? "")
        let uriQuery = query.map { $0.1.isEmpty && $0.0 == "uploads" ? "uploads" : "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }
            .joined(separator: "&")
        let uri = uriQuery.isEmpty ? path : path + "?" + uriQuery
        let label = "\(method.rawValue) \(key ?? "/")"
        var failure: S3Error?
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 {
                let base = 100_000_000 << min(attempt - 1, 6)
                let jittered = base / 2 + Int.random(in: 0...(base / 2))
                S3Client.sleep(nanos: jittered)
            }
            var signed = headers
            signed.replaceOrAdd(name: "Host", value: http.endpoint.hostHeader)
            signer.sign(
                method: method.rawValue, path: path, query: query, headers: &signed, payloadSHA256: payloadSHA256,
                nanos: WallClock.realtimeNanos())
            let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: signed)
            let response: HTTPResponseCollector.Response
            do {
                response = try http.send(head, body: body, timeout: config.requestTimeout, maximumBodyBytes: maximumBodyBytes).wait()
            } catch {
                failure = S3Error(status: 0, code: "NoAnswer", message: "\(error)", request: label)
                continue
            }
            let status = Int(response.head.status.code)
            if (200..<300).contains(status) {
                return Answer(status: status, headers: response.head.headers, body: response.body)
            }
            let text = String(buffer: response.body)
            let error = S3Error(
                status: status, code: S3XML.first("Code", in: text) ?? (status == 404 ? "NotFound" : "HTTP\(status)"),
                message: S3XML.first("Message", in: text) ?? "", request: label)
            guard error.isRetryable else { throw error }
            failure = error
        }
        throw failure!
    }

    private static func sleep(nanos: Int) {
        var request = timespec(tv_sec: nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
        var left = timespec()
        while nanosleep(&request, &left) != 0 { request = left }
    }

    /// Standard base64 with padding (checksum headers). Here because the core library links no
    /// Foundation and NIO's encoder is internal to NIO.
    package static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 3 <= bytes.count {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            out += [table[n >> 18], table[(n >> 12) & 63], table[(n >> 6) & 63], table[n & 63]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = Int(bytes[i]) << 16
            out += [table[n >> 18], table[(n >> 12) & 63], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8
            out += [table[n >> 18], table[(n >> 12) & 63], table[(n >> 6) & 63], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
