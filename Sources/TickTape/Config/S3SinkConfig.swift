/// The S3 part of a `[[sink]]` with `kind = "s3"`: where sealed segments and their manifests are
/// archived (AWS S3 or any S3-compatible store).
package struct S3SinkConfig: Sendable, Equatable {
    /// Where the access key comes from; the secret itself is never in the configuration.
    package enum CredentialSource: Sendable, Equatable {
        /// Environment variables (default `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
        case environment(accessKeyID: String, secretAccessKey: String, sessionToken: String)
        /// An AWS shared-credentials file and the profile in it (nil: its first section).
        case file(path: String, profile: String?)
    }

    /// `server_side_encryption`.
    package enum Encryption: Sendable, Equatable {
        case none
        /// SSE-S3 (`AES256`), the default, as the second seed.
        case aes256
        /// SSE-KMS with an optional key id (the bucket's default key when nil).
        case kms(keyID: String?)
    }

    /// `endpoint`: the store's base URL (default `https://s3.<region>.amazonaws.com`); `http://`
    /// only for a loopback host.
    package var endpoint: RestEndpoint
    /// `region` (default `"us-east-1"`): part of every signature.
    package var region: String
    /// `bucket` (required).
    package var bucket: String
    /// `prefix`: the key prefix, without leading or trailing `/` (default none).
    package var prefix: String
    /// `host_id`: this host's name in every key, so that hosts archiving the same capture never
    /// collide (the second seed's `INSTANCE_ID`; default the host name).
    package var hostID: String?
    /// `path_style`: `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`
    /// (default: virtual-hosted for amazonaws.com, path style for any other store).
    package var pathStyle: Bool
    package var credentials: CredentialSource
    package var encryption: Encryption
    /// `storage_class` (default `"STANDARD"`).
    package var storageClass: String
    /// `multipart_threshold`: a segment file larger than this goes up in parts (default 64MiB).
    package var multipartThreshold: Int64
    /// `part_size` (default 16MiB; S3's minimum is 5MiB).
    package var partSize: Int64
    /// `request_timeout`: one request, connect to last byte of the answer (default `"120s"`).
    package var requestTimeout: Duration
    /// `delete_local_after_upload` (default false): deletes a local segment once its upload is
    /// confirmed and no other sink still needs it.
    package var deleteLocalAfterUpload: Bool
    /// `ca_file`: an extra trusted CA (PEM) for the endpoint's certificate.
    package var caFile: String?

    package static let storageClasses = [
        "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY",
    ]

    package init(
        bucket: String, endpoint: RestEndpoint? = nil, region: String = "us-east-1", prefix: String = "", hostID: String? = nil,
        pathStyle: Bool? = nil, credentials: CredentialSource = .environment(
            accessKeyID: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY", sessionToken: "AWS_SESSION_TOKEN"),
        encryption: Encryption = .aes256, storageClass: String = "STANDARD", multipartThreshold: Int64 = 64 << 20,
        partSize: Int64 = 16 << 20, requestTimeout: Duration = .seconds(120), deleteLocalAfterUpload: Bool = false,
        caFile: String? = nil
    ) {
        let endpoint = endpoint ?? (try? RestEndpoint.parse("https://s3.\(region).amazonaws.com"))!
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.hostID = hostID
        self.pathStyle = pathStyle ?? !endpoint.host.hasSuffix(".amazonaws.com")
        self.credentials = credentials
        self.encryption = encryption
        self.storageClass = storageClass
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.requestTimeout = requestTimeout
        self.deleteLocalAfterUpload = deleteLocalAfterUpload
        self.caFile = caFile
    }

    static let keys = [
        "endpoint", "region", "bucket", "prefix", "host_id", "path_style", "access_key_id_env", "secret_access_key_env",
        "session_token_env", "credentials_file", "profile", "server_side_encryption", "kms_key_id", "storage_class",
        "multipart_threshold", "part_size", "request_timeout", "delete_local_after_upload", "ca_file",
    ]
    static let partSizeRange: ClosedRange<Int64> = (5 << 20)...(5 << 30)
    static let thresholdRange: ClosedRange<Int64> = (5 << 20)...(5 << 30)
    static let requestTimeoutRange = Duration.seconds(1)...Duration.seconds(3600)

    /// Whether `text` is a bucket name S3 accepts: 3-63 of lowercase letters, digits, `.` and
    /// `-`, starting and ending with a letter or digit.
    package static func isValidBucket(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 0x2E || $0 == 0x2D }
    }

    /// Letters, digits, `.`, `_`, `-` (and `/` where `slash`): safe in a key without encoding
    /// surprises, and sorting as written.
    package static func isSafeKeyText(_ text: String, slash: Bool) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F
                || $0 == 0x2D || (slash && $0 == 0x2F)
        }
    }

    /// Reads the S3 keys of one `[[sink]]`.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        guard let (bucket, bucketValue) = try reader.string("bucket", expected: "a bucket name like \"market-archive\"") else {
            throw reader.missing("bucket", "the bucket segments go to, like \"market-archive\"")
        }
        guard Self.isValidBucket(bucket) else {
            throw reader.invalid(
                "bucket", bucketValue, expected: "a bucket name of 3 to 63 lowercase letters, digits, '.' and '-'")
        }
        var region = "us-east-1"
        if let (text, value) = try reader.string("region", expected: "a region like \"eu-central-1\"") {
            guard Self.isSafeKeyText(text, slash: false), text.count <= 64 else {
                throw reader.invalid("region", value, expected: "a region like \"eu-central-1\"")
            }
            region = text
        }
        var endpoint: RestEndpoint?
        if let (text, value) = try reader.string("endpoint", expected: "a URL like \"https://s3.eu-central-1.amazonaws.com\"") {
            do {
                endpoint = try RestEndpoint.parse(text)
            } catch {
                throw reader.fail("endpoint \(error.message)", line: value.line)
            }
        }
        self.init(bucket: bucket, endpoint: endpoint, region: region)
        if let (text, value) = try reader.string("prefix", expected: "a key prefix like \"binance/raw\"") {
            let trimmed = String(text.drop { $0 == "/" }.reversed().drop { $0 == "/" }.reversed())
            guard trimmed.isEmpty || (Self.isSafeKeyText(trimmed, slash: true) && !trimmed.contains("//")) else {
                throw reader.invalid(
                    "prefix", value, expected: "a key prefix of letters, digits, '.', '_', '-' and '/' like \"binance/raw\"")
            }
            prefix = trimmed
        }
        if let (text, value) = try reader.string("host_id", expected: "a host name like \"tokyo-1\"") {
            guard Self.isSafeKeyText(text, slash: false), text.count <= 64 else {
                throw reader.invalid("host_id", value, expected: "up to 64 letters, digits, '.', '_' and '-', like \"tokyo-1\"")
            }
            hostID = text
        }
        if let style = try reader.boolean("path_style") { pathStyle = style }
        let envRule = "an environment variable name like \"AWS_ACCESS_KEY_ID\""
        func envName(_ key: String) throws(ConfigError) -> String? {
            guard let (name, value) = try reader.string(key, expected: envRule) else { return nil }
            let ok = !name.isEmpty && name.utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
            }
            guard ok else { throw reader.invalid(key, value, expected: envRule) }
            return name
        }
        let idEnv = try envName("access_key_id_env")
        let secretEnv = try envName("secret_access_key_env")
        let tokenEnv = try envName("session_token_env")
        if let (path, value) = try reader.string("credentials_file", expected: "an absolute path") {
            guard path.hasPrefix("/") else { throw reader.invalid("credentials_file", value, expected: "an absolute path") }
            if idEnv != nil || secretEnv != nil || tokenEnv != nil {
                throw reader.fail("credentials_file and *_env keys are both set; choose one", line: value.line)
            }
            var profile: String?
            if let (name, pv) = try reader.string("profile", expected: "a profile name like \"archive\"") {
                guard Self.isSafeKeyText(name, slash: false) else { throw reader.invalid("profile", pv, expected: "a profile name like \"archive\"") }
                profile = name
            }
            credentials = .file(path: path, profile: profile)
        } else {
            if let profile = reader.value("profile") {
                throw reader.fail("profile needs credentials_file", line: profile.line)
            }
            credentials = .environment(
                accessKeyID: idEnv ?? "AWS_ACCESS_KEY_ID", secretAccessKey: secretEnv ?? "AWS_SECRET_ACCESS_KEY",
                sessionToken: tokenEnv ?? "AWS_SESSION_TOKEN")
        }
        let sseRule = "\"AES256\", \"aws:kms\" or \"none\""
        if let (text, value) = try reader.string("server_side_encryption", expected: sseRule) {
            switch text {
            case "AES256": encryption = .aes256
            case "aws:kms": encryption = .kms(keyID: nil)
            case "none": encryption = .none
            default: throw reader.invalid("server_side_encryption", value, expected: sseRule)
            }
        }
        if let (key, value) = try reader.string("kms_key_id", expected: "a KMS key id or ARN") {
            guard case .kms = encryption else {
                throw reader.fail("kms_key_id needs server_side_encryption = \"aws:kms\"", line: value.line)
            }
            guard Self.isSafeKeyText(key.replacingColons(), slash: true) else { throw reader.invalid("kms_key_id", value, expected: "a KMS key id or ARN") }
            encryption = .kms(keyID: key)
        }
        if let (text, value) = try reader.string("storage_class", expected: "a storage class like \"STANDARD_IA\"") {
            guard Self.storageClasses.contains(text) else {
                throw reader.invalid("storage_class", value, expected: "one of " + Self.storageClasses.joined(separator: ", "))
            }
            storageClass = text
        }
        if let size = try reader.size("multipart_threshold", in: Self.thresholdRange, example: 64 << 20) { multipartThreshold = size }
        if let size = try reader.size("part_size", in: Self.partSizeRange, example: 16 << 20) { partSize = size }
        if case .some(.some(let d)) = try reader.duration("request_timeout", in: Self.requestTimeoutRange, example: .seconds(120)) {
            requestTimeout = d
        }
        if let delete = try reader.boolean("delete_local_after_upload") { deleteLocalAfterUpload = delete }
        if let (path, value) = try reader.string("ca_file", expected: "an absolute path") {
            guard path.hasPrefix("/") else { throw reader.invalid("ca_file", value, expected: "an absolute path") }
            caFile = path
        }
    }
}

extension String {
    /// A KMS ARN's colons as dashes, for the safe-text check only.
    fileprivate func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}
