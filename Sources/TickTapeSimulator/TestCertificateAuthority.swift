import Foundation

/// Mints a throw-away certificate authority and a `localhost` server certificate with the `openssl` CLI.
///
/// `wss://` tests and `ticktape simulate --tls-self-signed` need a server certificate that a client can
/// verify for real (full verification against a private CA, not verification turned off). The server
/// certificate carries `DNS:localhost` and `IP:127.0.0.1`, so clients connect to `127.0.0.1` with
/// `serverHostname: "localhost"`. Certificates are valid for 30 days.
package enum TestCertificateAuthority {
    /// Writes `ca.pem`, `ca.key`, `server.pem` and `server.key` (plus intermediates) into `directory`,
    /// creating it if needed.
    ///
    /// - Returns: `caPath`, the CA certificate a client trusts; `certPath`, the server certificate signed by it;
    ///   `keyPath`, the server's unencrypted private key.
    /// - Throws: ``SimulatorError/certificateGenerationFailed(command:status:)`` if `openssl` is missing or
    ///   fails.
    package static func make(in directory: String) throws -> (caPath: String, certPath: String, keyPath: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        try Data("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: base.appendingPathComponent("ext.cnf"))
        try run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
            "-days", "30", "-subj", "/CN=ticktape-test-ca",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try run([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
            "-subj", "/CN=localhost",
        ])
        try run([
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "30", "-extfile", path("ext.cnf"),
        ])
        return (caPath: path("ca.pem"), certPath: path("server.pem"), keyPath: path("server.key"))
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SimulatorError.certificateGenerationFailed(command: "openssl " + arguments[0], status: -1)
        }
        process.waitUntilExit()  // test-only: a throw-away CA minted once per simulator, never in the daemon
        guard process.terminationStatus == 0 else {
            throw SimulatorError.certificateGenerationFailed(
                command: "openssl " + arguments.prefix(2).joined(separator: " "),
                status: process.terminationStatus
            )
        }
    }
}
