import Foundation
import Testing

/// A real PostgreSQL 15 for one test: `initdb` in a temporary folder, a free loopback port,
/// password (SCRAM) authentication over TCP, stopped and removed by ``stop()``.
///
/// As root (CI), the server runs as `nobody` through `runuser`: `initdb` and `postgres` refuse
/// to run as root. Binaries are found in Debian's `/usr/lib/postgresql/15/bin` (the
/// `postgresql-15` package) or on `PATH`.
final class PostgresServer: @unchecked Sendable {
    static let superuser = "postgres"
    static let password = "ticktape-test-secret"

    let directory: String
    let port: Int
    private let bin: String
    private let asUser: String?

    /// Whether a PostgreSQL server can be started here (the tests skip with a reason if not).
    static var binaries: String? {
        for dir in ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"]
        where FileManager.default.isExecutableFile(atPath: dir + "/initdb")
            && FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl")
        {
            return dir
        }
        return nil
    }

    /// With `tls`, the server also speaks TLS with a certificate for `localhost` (DNS name only,
    /// no IP address) signed by a CA made for the test, whose certificate is ``caFile``.
    private let tls: Bool
    var caFile: String { directory + "/ca.pem" }

    init(tls: Bool = false) throws {
        guard let bin = Self.binaries else { throw PostgresServerError("initdb not found (apt-get install postgresql-15)") }
        self.bin = bin
        self.tls = tls
        directory = NSTemporaryDirectory() + "ticktape-pg-\(UInt64.random(in: 0...UInt64.max))"
        port = try Self.freePort()
        asUser = getuid() == 0 ? "nobody" : nil
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if tls { try Self.makeCertificates(in: directory) }
        let pwfile = directory + "/pw"
        try Self.password.write(toFile: pwfile, atomically: true, encoding: .utf8)
        if asUser != nil {
            _ = try Self.run("/bin/chown", ["-R", "nobody", directory])
        }
        try runAsServer(
            bin + "/initdb",
            ["-D", directory + "/data", "-U", Self.superuser, "--pwfile=" + pwfile, "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
        try start()
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    func start() throws {
        var options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=40"
        if tls { options += " -c ssl=on -c ssl_cert_file=\(directory)/server.crt -c ssl_key_file=\(directory)/server.key" }
        try runAsServer(bin + "/pg_ctl", ["-D", directory + "/data", "-o", options, "-l", directory + "/server.log", "-w", "-t", "60", "start"])
    }

    /// A CA and a server certificate for `localhost` it signed (openssl, EC P-256, valid 2 days).
    private static func makeCertificates(in dir: String) throws {
        let openssl = "/usr/bin/openssl"
        try "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"
            .write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(openssl, ["req", "-x509"] + ec + ["-keyout", dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "2",
            "-subj", "/CN=ticktape test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        try run(openssl, ["req"] + ec + ["-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=localhost"])
        try run(openssl, ["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
            "-CAcreateserial", "-out", dir + "/server.crt", "-days", "2", "-extfile", dir + "/server.ext"])
        // PostgreSQL refuses a key that others can read.
        try run("/bin/chmod", ["600", dir + "/server.key"])
    }

    /// Stops the server (fast: open connections are closed).
    func stopServer() throws {
        try runAsServer(bin + "/pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server and removes its folder.
    func stop() {
        try? stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: String { "postgres://\(Self.superuser)@127.0.0.1:\(port)/postgres" }

    /// Runs `sql` with `psql` (an independent client) and returns its unaligned output lines.
    func query(_ sql: String) throws -> [String] {
        let psql = FileManager.default.isExecutableFile(atPath: bin + "/psql") ? bin + "/psql" : "/usr/bin/psql"
        let out = try Self.run(
            psql, ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.superuser, "-d", "postgres", "-c", sql],
            environment: ["PGPASSWORD": Self.password])
        return out.split(separator: "\n").map(String.init)
    }

    /// One integer from `sql`.
    func count(_ sql: String) throws -> Int {
        guard let line = try query(sql).first, let n = Int(line) else { throw PostgresServerError("no integer from \(sql)") }
        return n
    }

    private func runAsServer(_ path: String, _ args: [String]) throws {
        if let asUser {
            _ = try Self.run("/usr/sbin/runuser", ["-u", asUser, "--", path] + args)
        } else {
            _ = try Self.run(path, args)
        }
    }

    /// Runs `path` and waits for it (posix_spawn + waitpid: Foundation's `Process` does not
    /// reap a `runuser` whose grandchild, the server, lives on). Output goes to a file, not a
    /// pipe, for the same reason.
    @discardableResult
    static func run(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> String {
        let outPath = NSTemporaryDirectory() + "ticktape-pg-out-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw PostgresServerError("cannot start \(path): errno \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw PostgresServerError("\(path) \(args.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    /// A port nobody listens on now (bound to 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw PostgresServerError("bind failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct PostgresServerError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
