import Foundation
import Testing

/// Checks answers against `docs/openapi.yaml` with Python's `jsonschema` (OpenAPI 3.1 schemas
/// are JSON Schema 2020-12): the document is read and applied by a validator that is not
/// ticktape's, so the description and the server cannot drift apart unnoticed.
enum OpenAPIConformance {
    static var documentPath: String {
        // Tests/TickTapeTests/Serve/<this file> → the repository root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path
    }

    static let script = #"""
        import json, sys, yaml
        from jsonschema import Draft202012Validator
        doc = yaml.safe_load(open(sys.argv[1]))
        answers = json.load(open(sys.argv[2]))
        for name, schema in doc["components"]["schemas"].items():
            Draft202012Validator.check_schema(schema)
        failures = 0
        for a in answers:
            op = doc["paths"].get(a["path"], {}).get("get")
            if op is None:
                print("undocumented path", a["path"]); failures += 1; continue
            response = op["responses"].get(str(a["status"]))
            if response is None:
                print("undocumented status", a["status"], "for", a["target"]); failures += 1; continue
            if "$ref" in response:
                response = doc["components"]["responses"][response["$ref"].split("/")[-1]]
            schema = dict(response["content"]["application/json"]["schema"])
            schema["components"] = doc["components"]
            errors = list(Draft202012Validator(schema).iter_errors(json.loads(a["body"])))
            for e in errors[:3]:
                print(a["target"], a["status"], "at", "/".join(map(str, e.absolute_path)), ":", e.message[:300])
            failures += len(errors) > 0
        print("checked", len(answers), "answers;", failures, "failed")
        sys.exit(1 if failures else 0)
        """#

    /// Fetches every target from `port` and validates each answer; returns the validator's
    /// exit status and output.
    static func check(port: Int, targets: [String]) async throws -> (status: Int32, output: String) {
        var answers: [[String: Any]] = []
        for target in targets {
            let reply = try LoopbackHTTP.get(port: port, target)
            let path = String(target.prefix { $0 != "?" })
            answers.append(["target": target, "path": path, "status": reply.status, "body": reply.text])
        }
        let dir = try TemporaryDirectory("ticktape-openapi")
        defer { dir.cleanup() }
        let file = dir.path + "/answers.json"
        try JSONSerialization.data(withJSONObject: answers).write(to: URL(fileURLWithPath: file))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, documentPath, file]
        let pipe = Pipe()
        python.standardOutput = pipe
        python.standardError = pipe
        try python.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        return (python.terminationStatus, output)
    }
}
