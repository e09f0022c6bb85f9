#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// Writes sink batches to PostgreSQL through postgres-nio: one connection, the schema migrated
/// at connect, each batch one transaction of one `INSERT … SELECT FROM UNNEST(arrays) ON
/// CONFLICT DO NOTHING` per table, all sent at once (pipelined) and confirmed by `COMMIT`.
///
/// The password is read at each connect from `password_file` or `password_env` and never
/// logged; errors are reduced to PostgreSQL's own message and SQLSTATE plus a hint, never the
/// query's bound values.
final class PostgresSinkTarget: SinkTarget {
    private let config: PostgresSinkConfig
    private let sinkName: String
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// Bounds every statement's round trip: a server that stops answering (not closing) would
    /// otherwise hold the sink for ever. On expiry the connection is closed, failing the query.
    private let queryTimeout: TimeAmount
    private var connection: PostgresConnection?
    private var layout: PostgresSchema.Layout = .partitioned
    /// Days (since the epoch) whose partition exists, per table; partitioned layout only.
    private var partitions: [String: Set<Int64>] = [:]
    private static let connectionIDs = Atomic<Int>(0)

    init(config: PostgresSinkConfig, sinkName: String, eventLoop: any EventLoop, logger: Logger, queryTimeout: Duration = .seconds(60)) {
        self.config = config
        self.sinkName = sinkName
        self.eventLoop = eventLoop
        self.logger = logger
        self.queryTimeout = .nanoseconds(queryTimeout.nanoseconds)
    }

    var isConnected: Bool { connection != nil && !(connection?.isClosed ?? true) }

    /// The schema layout in use (after ``connect()``).
    var schemaLayout: PostgresSchema.Layout { layout }

    func connect() throws(SinkError) {
        disconnect()
        let password = try readPassword()
        let url = config.url
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database,
            tls: try tls())
        configuration.options.connectTimeout = .nanoseconds(config.connectTimeout.nanoseconds)
        configuration.options.additionalStartupParameters = [("application_name", "ticktape sink \(sinkName)")]
        let loop = eventLoop
        let log = logger
        let settings = configuration
        let id = Self.connectionIDs.add(1, ordering: .relaxed).newValue
        do {
            connection = try ThreadBridge.wait {
                try await PostgresConnection.connect(on: loop, configuration: settings, id: id, logger: log)
            }
        } catch {
            throw SinkError.target("cannot connect to \(url.host):\(url.port) as \(url.user): \(Self.describe(error))")
        }
        do throws(SinkError) {
            try migrate()
        } catch {
            disconnect()
            throw error
        }
    }

    func disconnect() {
        guard let connection else { return }
        self.connection = nil
        let closing: EventLoopFuture<Void> = connection.close()
        _ = try? closing.wait()
    }

    // MARK: Writing

    func write(_ batch: SinkBatch, market: String) throws(SinkError) {
        guard let connection, !connection.isClosed else { throw SinkError.target("not connected") }
        var queries: [PostgresQuery] = []
        do {
            if layout == .partitioned { try ensurePartitions(for: batch) }
            queries.append("BEGIN")
            for kind in SinkTableKind.allCases {
                guard let table = config.tables[kind], let binds = Self.bindings(kind, batch, market: market) else { continue }
                queries.append(PostgresQuery(unsafeSQL: PostgresSchema.insert(kind, into: table), binds: binds))
            }
            guard queries.count > 1 else { return }
            queries.append("COMMIT")
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError.target(Self.describe(error))
        }
        try run(queries, on: connection, what: "insert")
    }

    /// Sends `queries` back to back (postgres-nio queues them on the connection) and waits for
    /// all; on any failure the transaction is rolled back by the server (or the connection is gone).
    private func run(_ queries: [PostgresQuery], on connection: PostgresConnection, what: String) throws(SinkError) {
        let futures = queries.map { connection.query($0, logger: logger) }
        let timer = connection.eventLoop.scheduleTask(in: queryTimeout) {
            let closing: EventLoopFuture<Void> = connection.close()
            _ = closing
        }
        defer { timer.cancel() }
        var failure: (any Error)?
        for future in futures {
            do {
                _ = try future.wait()
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure {
            if !connection.isClosed { _ = try? connection.query("ROLLBACK", logger: logger).wait() }
            throw SinkError.target("\(what) failed: \(Self.describe(failure))")
        }
    }

    private static func bindings(_ kind: SinkTableKind, _ b: SinkBatch, market: String) -> PostgresBindings? {
        var binds = PostgresBindings(capacity: 16)
        binds.append(market)
        switch kind {
        case .bookTicker:
            let r = b.bookTickers
            guard r.count > 0 else { return nil }
            binds.append(r.ts); binds.append(r.receivedAt); binds.append(r.eventTime); binds.append(r.transactionTime)
            binds.append(r.symbol); binds.append(r.updateID); binds.append(r.bidPrice); binds.append(r.bidQuantity)
            binds.append(r.askPrice); binds.append(r.askQuantity)
        case .trades:
            let r = b.trades
            guard r.count > 0 else { return nil }
            binds.append(r.ts); binds.append(r.receivedAt); binds.append(r.eventTime); binds.append(r.symbol)
            binds.append(r.tradeID); binds.append(r.price); binds.append(r.quantity); binds.append(r.buyerIsMaker)
        case .aggTrades:
            let r = b.aggTrades
            guard r.count > 0 else { return nil }
            binds.append(r.ts); binds.append(r.receivedAt); binds.append(r.eventTime); binds.append(r.symbol)
            binds.append(r.tradeID); binds.append(r.price); binds.append(r.quantity); binds.append(r.firstTradeID)
            binds.append(r.lastTradeID); binds.append(r.buyerIsMaker)
        case .snapshots:
            let r = b.snapshots
            guard r.count > 0 else { return nil }
            binds.append(r.ts); binds.append(r.sourceTs); binds.append(r.symbol); binds.append(r.updateID)
            binds.append(r.bidPrice); binds.append(r.bidQuantity); binds.append(r.askPrice); binds.append(r.askQuantity)
        case .bars:
            let r = b.bars
            guard r.count > 0 else { return nil }
            binds.append(r.openTime); binds.append(r.closeTime); binds.append(r.symbol); binds.append(r.interval)
            binds.append(r.open); binds.append(r.high); binds.append(r.low); binds.append(r.close); binds.append(r.volume)
            binds.append(r.quoteVolume); binds.append(r.trades); binds.append(r.takerBuyVolume); binds.append(r.vwap)
            binds.append(r.firstTradeID); binds.append(r.lastTradeID)
        case .depth:
            let r = b.depth
            guard r.count > 0 else { return nil }
            binds.append(r.ts); binds.append(r.receivedAt); binds.append(r.transactionTime); binds.append(r.symbol)
            binds.append(r.firstUpdateID); binds.append(r.finalUpdateID); binds.append(r.previousFinalUpdateID)
            binds.append(r.bids); binds.append(r.asks)
        }
        return binds
    }

    // MARK: Schema

    /// Creates or completes the schema: the version table, the layout (hypertables when
    /// TimescaleDB can be had, else daily partitions), every configured table, and partitions
    /// for yesterday to three days ahead. Serialised across sinks and `ticktape db migrate` by
    /// an advisory lock.
    private func migrate() throws(SinkError) {
        guard let connection else { return }
        do {
            try simple(["BEGIN", "SELECT pg_advisory_xact_lock(7363551277)", PostgresSchema.createVersionTable], on: connection)
            let newest = try scalar("SELECT coalesce(max(version), 0)::int8 FROM \(PostgresSchema.versionTable)", on: connection) ?? 0
            if newest > Int64(PostgresSchema.version) {
                _ = try? connection.query("ROLLBACK", logger: logger).wait()
                throw SinkError.target(
                    "the database's ticktape schema is version \(newest), newer than this ticktape's (\(PostgresSchema.version)); upgrade ticktape")
            }
            if let recorded = try text("SELECT layout FROM \(PostgresSchema.versionTable) ORDER BY version LIMIT 1", on: connection),
                let known = PostgresSchema.Layout(rawValue: recorded)
            {
                layout = known
            } else {
                layout = try chooseLayout(on: connection)
            }
            var statements: [String] = []
            for kind in SinkTableKind.allCases {
                guard let table = config.tables[kind] else { continue }
                statements += PostgresSchema.createTable(kind, name: table, layout: layout)
            }
            try simple(statements, on: connection)
            if newest < Int64(PostgresSchema.version) {
                var binds = PostgresBindings()
                binds.append(PostgresSchema.version)
                binds.append(layout.rawValue)
                binds.append("market data tables: book_ticker, trades, agg_trades, snapshots, bars, depth")
                _ = try connection.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(PostgresSchema.versionTable) (version, layout, description) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        binds: binds), logger: logger
                ).wait()
            }
            try simple(["COMMIT"], on: connection)
            if layout == .partitioned {
                let today = WallClock.realtimeNanos() / 86_400_000_000_000
                try ensurePartitions(days: Set((today - 1)...(today + 3)))
            }
        } catch let error as SinkError {
            throw error
        } catch {
            _ = try? connection.query("ROLLBACK", logger: logger).wait()
            throw SinkError.target("preparing the schema failed: \(Self.describe(error))")
        }
        logger.notice(
            "sink: PostgreSQL schema ready",
            metadata: [
                "sink": "\(sinkName)", "version": "\(PostgresSchema.version)", "layout": "\(layout.rawValue)",
                "tables": "\(config.tables.sorted { $0.key < $1.key }.map(\.value).joined(separator: ","))",
            ])
    }

    /// Hypertables if the `timescaledb` extension is installed or can be created; else partitions.
    private func chooseLayout(on connection: PostgresConnection) throws -> PostgresSchema.Layout {
        let available = try scalar(
            "SELECT count(*)::int8 FROM pg_available_extensions WHERE name = 'timescaledb'", on: connection) ?? 0
        guard available > 0 else { return .partitioned }
        do {
            try simple(["SAVEPOINT timescale", "CREATE EXTENSION IF NOT EXISTS timescaledb", "RELEASE SAVEPOINT timescale"], on: connection)
            return .hypertable
        } catch {
            try simple(["ROLLBACK TO SAVEPOINT timescale"], on: connection)
            logger.warning(
                "sink: timescaledb is available but cannot be created by this user; using daily partitions",
                metadata: ["sink": "\(sinkName)", "error": "\(Self.describe(error))"])
            return .partitioned
        }
    }

    /// Partitions for every day the batch's rows fall on (partitioned layout).
    private func ensurePartitions(for batch: SinkBatch) throws {
        var days = Set<Int64>()
        func add(_ ts: [Int64]) {
            var last: Int64 = .min
            for t in ts {
                let day = t >= 0 ? t / 86_400_000_000 : (t + 1) / 86_400_000_000 - 1
                if day != last { days.insert(day); last = day }
            }
        }
        add(batch.bookTickers.ts)
        add(batch.trades.ts)
        add(batch.aggTrades.ts)
        add(batch.snapshots.ts)
        add(batch.bars.openTime)
        add(batch.depth.ts)
        try ensurePartitions(days: days)
    }

    private func ensurePartitions(days: Set<Int64>) throws {
        guard let connection else { return }
        var statements: [String] = []
        var added: [(String, Int64)] = []
        for table in config.tables.values.sorted() {
            for day in days.sorted() where !(partitions[table]?.contains(day) ?? false) {
                statements.append(PostgresSchema.createPartition(table, day: day))
                added.append((table, day))
            }
        }
        guard !statements.isEmpty else { return }
        try simple(["BEGIN", "SELECT pg_advisory_xact_lock(7363551278)"] + statements + ["COMMIT"], on: connection)
        for (table, day) in added { partitions[table, default: []].insert(day) }
    }

    private func simple(_ statements: [String], on connection: PostgresConnection) throws {
        for sql in statements {
            _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        }
    }

    private func scalar(_ sql: String, on connection: PostgresConnection) throws -> Int64? {
        let result = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        return try result.rows.first?.decode(Int64.self)
    }

    private func text(_ sql: String, on connection: PostgresConnection) throws -> String? {
        let result = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        return try result.rows.first?.decode(String.self)
    }

    // MARK: Configuration

    private func readPassword() throws(SinkError) -> String? {
        if let file = config.passwordFile {
            do {
                var text = try DurableFile.readText(file)
                while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
                return text
            } catch {
                throw SinkError.configuration("cannot read password_file: \(error)")
            }
        }
        if let name = config.passwordEnvironment {
            guard let value = getenv(name) else {
                throw SinkError.configuration("password_env names \(name), which is not set in the daemon's environment")
            }
            return String(cString: value)
        }
        return nil
    }

    /// The TLS policy: a certificate is always verified, chain and host name (`verify-ca`, an
    /// explicit choice, skips only the name). This departs from libpq, whose `prefer` and
    /// `require` accept any certificate, because an unverified TLS session stops no impostor.
    /// `prefer` (the default) is plain TCP on loopback, where the bytes never leave the host
    /// (and Debian's own cluster would otherwise fail on its self-signed "snakeoil"
    /// certificate), and verified TLS to any other host, so no downgrade can be forced on the
    /// network.
    private func tls() throws(SinkError) -> PostgresConnection.Configuration.TLS {
        let url = config.url
        guard url.tls != .disable, !(url.tls == .prefer && url.isLoopback) else { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = url.tls == .verifyCA ? .noHostnameVerification : .fullVerification
        if let ca = url.rootCertificate { tls.additionalTrustRoots = [.file(ca)] }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return .require(context)
        } catch {
            throw SinkError.configuration("TLS setup failed: \(error)")
        }
    }

    /// PostgreSQL's message and SQLSTATE with a hint for the usual operator mistakes; never the
    /// query's values (postgres-nio's own description can include them).
    static func describe(_ error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        var text = e.serverInfo?[.message] ?? "\(e.code)"
        if let state = e.serverInfo?[.sqlState] {
            text += " (SQLSTATE \(state))"
            switch state {
            case "28P01", "28000": text += "; check the user and password (password_file / password_env)"
            case "42501": text += "; the user lacks a privilege: it needs CREATE on the schema and INSERT/SELECT on the tables"
            case "3D000": text += "; create the database first"
            default: break
            }
        } else if let underlying = e.underlying {
            text += ": \(underlying)"
            if let hint = tlsHint(underlying) { text += "; " + hint }
        }
        return text
    }

    /// What to do about a refused server certificate, in words (NIOSSL's own text is BoringSSL's).
    private static func tlsHint(_ error: any Error) -> String? {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the server's TLS certificate does not name the URL's host name (verify-full checks it; verify-ca does not)"
        }
        guard "\(error)".contains("CERTIFICATE_VERIFY_FAILED") else { return nil }
        return "the server's TLS certificate could not be verified: give the CA that signed it as sslrootcert, "
            + "and connect by a host name the certificate names"
    }
}
