import Crypto
import NIOHTTP1
import Testing

@testable import TickTape

/// SigV4 against AWS's published S3 examples ("Signature Calculations for the Authorization
/// Header", example credentials `AKIAIOSFODNN7EXAMPLE`, 2013-05-24, us-east-1); the live check
/// is the S3 sink tests' server, which refuses a bad signature. Plus the config's bad-input cases.
@Suite struct S3SigningTests {
    static let signer = SigV4Signer(
        credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let at = UTCInstant.nanos("2013-05-24T00:00:00Z")!

    static func signature(_ method: String, _ path: String, _ query: [(String, String)], _ extra: [(String, String)], payload: String) -> String {
        var headers = HTTPHeaders([("Host", "examplebucket.s3.amazonaws.com")] + extra)
        signer.sign(method: method, path: path, query: query, headers: &headers, payloadSHA256: payload, nanos: at)
        return headers.first(name: "Authorization") ?? ""
    }

    @Test func awsPublishedExamples() {
        let empty = SigV4Signer.emptyPayloadSHA256
        #expect(
            Self.signature("GET", "/test.txt", [], [("Range", "bytes=0-9")], payload: empty)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            Self.signature(
                "PUT", SigV4Signer.encodePath("/test$file.text"), [],
                [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                payload: SHA256.hex(of: Array("Welcome to Amazon S3.".utf8))).hasSuffix(
                    "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
        #expect(
            Self.signature("GET", "/", [("lifecycle", "")], [], payload: empty).hasSuffix(
                "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
        #expect(
            Self.signature("GET", "/", [("prefix", "J"), ("max-keys", "2")], [], payload: empty).hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func encodingAndKeyLayout() {
        #expect(SigV4Signer.encode("a/b c+d=é~") == "a%2Fb%20c%2Bd%3D%C3%A9~")
        #expect(SigV4Signer.encodePath("/bkt/a b/c") == "/bkt/a%20b/c")
        let keys = S3ObjectKeys(prefix: "binance/raw", capture: "btc", segment: "btc-20261201T235959.999Z-007", host: "tokyo-1")
        #expect(keys.data == "binance/raw/btc/2026/12/01/btc-20261201T235959.999Z-007.tokyo-1.tape.gz")
        #expect(keys.manifest == "binance/raw/btc/2026/12/01/btc-20261201T235959.999Z-007.tokyo-1.manifest.json")
        let local = S3ObjectKeys.localName(ofKey: keys.data)
        #expect(local?.segment == "btc-20261201T235959.999Z-007" && local?.host == "tokyo-1" && local?.isManifest == false)
        #expect(S3Client.base64(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw==")
        #expect(S3Client.base64(Array("any carnal pleasu".utf8)) == "YW55IGNhcm5hbCBwbGVhc3U=")
    }

    @Test func sharedCredentialsFile() throws {
        let text = "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n\n[archive]\naws_access_key_id=A2\naws_secret_access_key=S2\naws_session_token=T2\n"
        let first = try S3Credentials.parse(text, profile: nil, path: "f")
        #expect(first.accessKeyID == "A1" && first.secretAccessKey == "S1" && first.sessionToken == nil)
        let named = try S3Credentials.parse(text, profile: "archive", path: "f")
        #expect(named.accessKeyID == "A2" && named.sessionToken == "T2")
        #expect(!named.description.contains("S2"), "the secret is never shown")
        #expect(throws: SinkError.self) { try S3Credentials.parse(text, profile: "missing", path: "f") }
    }

    @Test(arguments: [
        ("bucket = \"Bad_Bucket\"", "bucket"),
        ("bucket = \"ok-bucket\"\nendpoint = \"http://s3.example.com\"", "loopback"),
        ("bucket = \"ok-bucket\"\nkms_key_id = \"k\"", "kms_key_id needs server_side_encryption"),
        ("bucket = \"ok-bucket\"\nprofile = \"p\"", "profile needs credentials_file"),
        ("bucket = \"ok-bucket\"\npart_size = \"1MiB\"", "part_size"),
        ("bucket = \"ok-bucket\"\nstorage_class = \"COLD\"", "storage_class"),
        ("bucket = \"ok-bucket\"\ntables = {}", "unknown key \"tables\""),
        ("endpoint = \"https://s3.example.com\"", "bucket"),
    ])
    func badSettingsAreNamed(block: String, expected: String) {
        let text = "data_dir = \"/tmp/x\"\n[[capture]]\nname = \"c\"\nurl = \"wss://fstream.binance.com/ws/btcusdt@trade\"\nconnections = 1\n[[sink]]\nname = \"a\"\nkind = \"s3\"\n" + block
        do {
            _ = try TickTapeConfig.parse(text, file: "t.toml")
            Issue.record("accepted: \(block)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func defaults() throws {
        let text = "data_dir = \"/tmp/x\"\n[[capture]]\nname = \"c\"\nurl = \"wss://fstream.binance.com/ws/btcusdt@trade\"\nconnections = 1\n[[sink]]\nname = \"a\"\nkind = \"s3\"\nbucket = \"market-archive\"\nregion = \"eu-central-1\"\n"
        let config = try TickTapeConfig.parse(text, file: "t.toml")
        guard case .s3(let s3) = config.sinks.first?.target else {
            Issue.record("not an s3 sink")
            return
        }
        #expect(s3.endpoint.host == "s3.eu-central-1.amazonaws.com" && s3.endpoint.useTLS)
        #expect(!s3.pathStyle)
        #expect(s3.encryption == .aes256 && s3.storageClass == "STANDARD" && !s3.deleteLocalAfterUpload)
    }
}
