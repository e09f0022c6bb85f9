import Foundation
import Testing

@testable import TickTape

/// A real S3-compatible server for one test: moto's server with SigV4 checking on, behind a
/// fault-injecting proxy (`Tests/s3/s3server.py`). Stops when the test calls ``stop()`` or the
/// test process ends (the script exits when its stdin closes).
final class S3Server: @unchecked Sendable {
    let bucket: String
    /// The proxy (what the sink talks to) and moto itself.
    let endpoint: String
    let direct: String
    let accessKeyID: String
    let secretAccessKey: String
    private let process: Process
    private let input: Pipe

    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("s3").path

    /// Whether moto can run here (the tests skip with a reason if not).
    static var available: Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import moto.server, flask, boto3"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    init(bucket: String = "ticktape-archive") throws {
        self.bucket = bucket
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.scripts + "/s3server.py", bucket]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // One JSON line once the server, the IAM key, the bucket and the proxy are up.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw S3ServerError("s3server.py exited before it was ready") }
            if byte == Data([0x0A]) { break }
            line.append(byte)
        }
        let json = try JSONSerialization.jsonObject(with: line) as! [String: String]
        endpoint = json["endpoint"]!
        direct = json["direct"]!
        accessKeyID = json["access_key_id"]!
        secretAccessKey = json["secret_access_key"]!
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Arms the proxy: the next `count` requests whose `METHOD /path?query` contains `match`
    /// get `mode` (`503`, `500`, `drop`, `drop_after`, `off`).
    func fault(_ mode: String, count: Int = 1, match: String = "") async throws {
        let script = """
            import sys, urllib.parse, urllib.request
            q = urllib.parse.urlencode({"mode": sys.argv[2], "count": sys.argv[3], "match": sys.argv[4]})
            urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__fault?" + q, data=b"", method="POST")).read()
            """
        let result = try await runTool("/usr/bin/env", ["python3", "-c", script, endpoint, mode, "\(count)", match])
        guard result.status == 0 else { throw S3ServerError("arming the fault proxy failed: \(result.output)") }
    }

    /// Every request the proxy forwarded to the store, as `METHOD /path?query`.
    func forwardedRequests() async throws -> [String] {
        let script = """
            import json, sys, urllib.request
            for line in json.load(urllib.request.urlopen(sys.argv[1] + "/__fault"))["log"]: print(line)
            """
        let result = try await runTool("/usr/bin/env", ["python3", "-c", script, endpoint])
        guard result.status == 0 else { throw S3ServerError("reading the proxy's log failed: \(result.output)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    /// The sink's configuration block for this server.
    func sinkBlock(name: String = "archive", idEnv: String, secretEnv: String, extra: String = "") -> String {
        """
        [[sink]]
        name = "\(name)"
        kind = "s3"
        endpoint = "\(endpoint)"
        bucket = "\(bucket)"
        prefix = "binance/raw"
        host_id = "test-host"
        access_key_id_env = "\(idEnv)"
        secret_access_key_env = "\(secretEnv)"
        retry_max = "1s"
        \(extra)
        """
    }

    /// Sets the sink's credential variables (unique names per test).
    func exportCredentials(prefix: String) -> (String, String) {
        let id = prefix + "_ID"
        let secret = prefix + "_SECRET"
        setenv(id, accessKeyID, 1)
        setenv(secret, secretAccessKey, 1)
        return (id, secret)
    }

    /// An independent read of the bucket (boto3, straight to moto): every object under
    /// `prefix` with its size and MD5, as `key size md5` lines.
    func listing(prefix: String) async throws -> [String: (size: Int, md5: String)] {
        let script = """
            import boto3, hashlib, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[4], Prefix=sys.argv[5]):
                for o in page.get("Contents", []):
                    body = s3.get_object(Bucket=sys.argv[4], Key=o["Key"])["Body"].read()
                    print(o["Key"], len(body), hashlib.md5(body).hexdigest())
            """
        let result = try await runTool("/usr/bin/env", ["python3", "-c", script, direct, accessKeyID, secretAccessKey, bucket, prefix])
        guard result.status == 0 else { throw S3ServerError("listing failed: \(result.output)") }
        var out: [String: (Int, String)] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let size = Int(parts[1]) else { continue }
            out[String(parts[0])] = (size, String(parts[2]))
        }
        return out
    }
}

struct S3ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
