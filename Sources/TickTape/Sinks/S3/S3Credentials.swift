#if canImport(Glibc)
import Glibc
#endif

/// An S3 access key, read from the environment or a file at each connect (so a rotated key needs
/// no restart). Its `description` never shows the secret.
package struct S3Credentials: Sendable, CustomStringConvertible {
    package var accessKeyID: String
    package var secretAccessKey: String
    /// `AWS_SESSION_TOKEN` of temporary credentials, sent as `x-amz-security-token`.
    package var sessionToken: String?

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    package var description: String { "access key \(accessKeyID) (secret not shown)" }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN` (or the
    /// variables `source` names), or from a file in the AWS shared-credentials form
    /// (`aws_access_key_id = …` lines, the `[profile]` section or the first one).
    package static func load(_ source: S3SinkConfig.CredentialSource) throws(SinkError) -> S3Credentials {
        switch source {
        case .environment(let idName, let secretName, let tokenName):
            guard let id = environment(idName), !id.isEmpty else {
                throw .configuration("\(idName) is not set (the S3 access key id)")
            }
            guard let secret = environment(secretName), !secret.isEmpty else {
                throw .configuration("\(secretName) is not set (the S3 secret access key)")
            }
            return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment(tokenName).flatMap { $0.isEmpty ? nil : $0 })
        case .file(let path, let profile):
            let text: String
            do {
                text = try DurableFile.readText(path)
            } catch {
                throw .configuration("cannot read credentials_file \(path): \(error)")
            }
            return try parse(text, profile: profile, path: path)
        }
    }

    /// Parses the shared-credentials form; `profile` nil takes the first section (or the file
    /// without sections).
    static func parse(_ text: String, profile: String?, path: String) throws(SinkError) -> S3Credentials {
        var section: String?
        var values: [String: String] = [:]
        var sawWanted = profile == nil
        var done = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) where !done {
            let line = raw.trimmingASCIIWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = String(line.dropFirst().dropLast()).trimmingASCIIWhitespace()
                if section != nil && sawWanted && !values.isEmpty { done = true; continue }
                section = name
                if let profile { sawWanted = name == profile }
                continue
            }
            guard sawWanted, let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingASCIIWhitespace().lowercased()
            values[key] = String(line[line.index(after: eq)...]).trimmingASCIIWhitespace()
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty, let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            let which = profile.map { "profile [\($0)]" } ?? "the file"
            throw .configuration("credentials_file \(path): \(which) has no aws_access_key_id and aws_secret_access_key")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

extension StringProtocol {
    fileprivate func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return String(s)
    }
}
