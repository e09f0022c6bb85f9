/// The tables ticktape creates in PostgreSQL, their versioning, and the insert statements that
/// match them.
///
/// Every table has a natural key that includes its time column `ts` (TimescaleDB requires
/// the partitioning column in every unique index, and it makes a replayed row a conflict
/// instead of a second row). Prices and quantities are `numeric`: Binance sends decimal
/// strings and they are stored digit for digit. When the `timescaledb` extension is available
/// the tables are hypertables with 1-day chunks; otherwise they use PostgreSQL's declarative
/// partitioning by day, with partitions created ahead (and for any day a batch carries), so
/// retention is `DROP TABLE <table>_pYYYYMMDD`.
///
/// `ticktape_schema` records each applied version. The DDL is idempotent (`IF NOT EXISTS`),
/// so enabling another table later only adds it. Identifiers come from the configuration,
/// checked against `^[a-z_][a-z0-9_]{0,62}$`, and are quoted anyway; values never appear in
/// SQL text: inserts bind whole columns as arrays and `UNNEST` them.
package enum PostgresSchema {
    /// The schema version this ticktape writes.
    package static let version = 1
    package static let versionTable = "ticktape_schema"

    /// How the tables are partitioned.
    package enum Layout: String, Sendable {
        case hypertable
        case partitioned
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier + "\"" }

    /// Columns of each table kind (after `ts`), and its natural key.
    static func columns(_ kind: SinkTableKind) -> (columns: String, key: String) {
        switch kind {
        case .bookTicker:
            return (
                """
                ts timestamptz NOT NULL, received_at timestamptz NOT NULL, event_time timestamptz, transaction_time timestamptz,
                market text NOT NULL, symbol text NOT NULL, update_id bigint NOT NULL,
                bid_price numeric NOT NULL, bid_qty numeric NOT NULL, ask_price numeric NOT NULL, ask_qty numeric NOT NULL
                """, "market, symbol, update_id, ts")
        case .trades:
            return (
                """
                ts timestamptz NOT NULL, received_at timestamptz NOT NULL, event_time timestamptz,
                market text NOT NULL, symbol text NOT NULL, trade_id bigint NOT NULL,
                price numeric NOT NULL, quantity numeric NOT NULL, is_buyer_maker boolean NOT NULL
                """, "market, symbol, trade_id, ts")
        case .aggTrades:
            return (
                """
                ts timestamptz NOT NULL, received_at timestamptz NOT NULL, event_time timestamptz,
                market text NOT NULL, symbol text NOT NULL, agg_trade_id bigint NOT NULL,
                price numeric NOT NULL, quantity numeric NOT NULL, first_trade_id bigint NOT NULL,
                last_trade_id bigint NOT NULL, is_buyer_maker boolean NOT NULL
                """, "market, symbol, agg_trade_id, ts")
        case .snapshots:
            return (
                """
                ts timestamptz NOT NULL, source_ts timestamptz NOT NULL, market text NOT NULL, symbol text NOT NULL,
                update_id bigint NOT NULL, best_bid_px numeric NOT NULL, best_bid_sz numeric NOT NULL,
                best_ask_px numeric NOT NULL, best_ask_sz numeric NOT NULL, mid numeric NOT NULL, spread numeric NOT NULL
                """, "market, symbol, ts")
        case .bars:
            return (
                """
                ts timestamptz NOT NULL, close_time timestamptz NOT NULL, market text NOT NULL, symbol text NOT NULL,
                "interval" text NOT NULL, open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL,
                close numeric NOT NULL, volume numeric NOT NULL, quote_volume numeric NOT NULL, trades bigint NOT NULL,
                taker_buy_volume numeric NOT NULL, vwap numeric, first_trade_id bigint NOT NULL, last_trade_id bigint NOT NULL
                """, "market, symbol, \"interval\", ts")
        case .depth:
            return (
                """
                ts timestamptz NOT NULL, received_at timestamptz NOT NULL, transaction_time timestamptz,
                market text NOT NULL, symbol text NOT NULL, first_update_id bigint NOT NULL, final_update_id bigint NOT NULL,
                prev_final_update_id bigint, bids jsonb NOT NULL, asks jsonb NOT NULL
                """, "market, symbol, final_update_id, ts")
        }
    }

    /// `CREATE TABLE` for one table in `layout`, and its `(symbol, ts DESC)` index (latest-row
    /// and time-range queries per symbol).
    static func createTable(_ kind: SinkTableKind, name: String, layout: Layout) -> [String] {
        let (columns, key) = columns(kind)
        let table = quoted(name)
        var create = "CREATE TABLE IF NOT EXISTS \(table) (\(columns), PRIMARY KEY (\(key)))"
        if layout == .partitioned { create += " PARTITION BY RANGE (ts)" }
        var statements = [create]
        if layout == .hypertable {
            statements.append(
                "SELECT create_hypertable('\(table)', 'ts', chunk_time_interval => interval '1 day', if_not_exists => true)")
        }
        statements.append("CREATE INDEX IF NOT EXISTS \(quoted(name + "_symbol_ts")) ON \(table) (symbol, ts DESC)")
        return statements
    }

    static let createVersionTable = """
        CREATE TABLE IF NOT EXISTS \(versionTable) (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),
        layout text NOT NULL, description text NOT NULL)
        """

    /// The partition of `table` holding UTC day `day` (days since the epoch).
    static func partitionName(_ table: String, day: Int64) -> String {
        table + "_p" + dayStamp(day).replacingOccurrences("-", "")
    }

    /// `CREATE TABLE … PARTITION OF` for one day. The bounds are dates ticktape formats from a
    /// day number, not values from the data.
    static func createPartition(_ table: String, day: Int64) -> String {
        "CREATE TABLE IF NOT EXISTS \(quoted(partitionName(table, day: day))) PARTITION OF \(quoted(table)) FOR VALUES FROM ('\(dayStamp(day)) 00:00:00+00') TO ('\(dayStamp(day + 1)) 00:00:00+00')"
    }

    /// `YYYY-MM-DD` of a day number (proleptic Gregorian, UTC).
    static func dayStamp(_ day: Int64) -> String { UTCInstant.date(days: day) }

    // MARK: Inserts

    /// `timestamptz` from bound microseconds; -1 is NULL.
    private static func time(_ column: String, nullable: Bool) -> String {
        let value = "timestamptz 'epoch' + \(column) * interval '1 microsecond'"
        return nullable ? "CASE WHEN \(column) < 0 THEN NULL ELSE \(value) END" : value
    }

    /// The bulk insert of one table kind: `$1` is the market, then one array per column.
    static func insert(_ kind: SinkTableKind, into name: String) -> String {
        let table = quoted(name)
        switch kind {
        case .bookTicker:
            return """
                INSERT INTO \(table) (ts, received_at, event_time, transaction_time, market, symbol, update_id, bid_price, bid_qty, ask_price, ask_qty)
                SELECT \(time("u.ts", nullable: false)), \(time("u.rt", nullable: false)), \(time("u.et", nullable: true)), \(time("u.tt", nullable: true)),
                $1, u.s, u.id, u.bp::numeric, u.bq::numeric, u.ap::numeric, u.aq::numeric
                FROM UNNEST($2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::text[], $7::int8[], $8::text[], $9::text[], $10::text[], $11::text[])
                AS u(ts, rt, et, tt, s, id, bp, bq, ap, aq)
                ON CONFLICT DO NOTHING
                """
        case .trades:
            return """
                INSERT INTO \(table) (ts, received_at, event_time, market, symbol, trade_id, price, quantity, is_buyer_maker)
                SELECT \(time("u.ts", nullable: false)), \(time("u.rt", nullable: false)), \(time("u.et", nullable: true)),
                $1, u.s, u.id, u.p::numeric, u.q::numeric, u.m
                FROM UNNEST($2::int8[], $3::int8[], $4::int8[], $5::text[], $6::int8[], $7::text[], $8::text[], $9::bool[])
                AS u(ts, rt, et, s, id, p, q, m)
                ON CONFLICT DO NOTHING
                """
        case .aggTrades:
            return """
                INSERT INTO \(table) (ts, received_at, event_time, market, symbol, agg_trade_id, price, quantity, first_trade_id, last_trade_id, is_buyer_maker)
                SELECT \(time("u.ts", nullable: false)), \(time("u.rt", nullable: false)), \(time("u.et", nullable: true)),
                $1, u.s, u.id, u.p::numeric, u.q::numeric, u.f, u.l, u.m
                FROM UNNEST($2::int8[], $3::int8[], $4::int8[], $5::text[], $6::int8[], $7::text[], $8::text[], $9::int8[], $10::int8[], $11::bool[])
                AS u(ts, rt, et, s, id, p, q, f, l, m)
                ON CONFLICT DO NOTHING
                """
        case .snapshots:
            return """
                INSERT INTO \(table) (ts, source_ts, market, symbol, update_id, best_bid_px, best_bid_sz, best_ask_px, best_ask_sz, mid, spread)
                SELECT \(time("u.ts", nullable: false)), \(time("u.st", nullable: false)), $1, u.s, u.id,
                u.bp::numeric, u.bq::numeric, u.ap::numeric, u.aq::numeric,
                (u.bp::numeric + u.ap::numeric) / 2, u.ap::numeric - u.bp::numeric
                FROM UNNEST($2::int8[], $3::int8[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::text[], $9::text[])
                AS u(ts, st, s, id, bp, bq, ap, aq)
                ON CONFLICT DO NOTHING
                """
        case .bars:
            return """
                INSERT INTO \(table) (ts, close_time, market, symbol, "interval", open, high, low, close, volume, quote_volume, trades, taker_buy_volume, vwap, first_trade_id, last_trade_id)
                SELECT \(time("u.ts", nullable: false)), \(time("u.ct", nullable: false)), $1, u.s, u.i,
                u.o::numeric, u.h::numeric, u.l::numeric, u.c::numeric, u.v::numeric, u.qv::numeric, u.n,
                u.tb::numeric, NULLIF(u.vw, '')::numeric, u.ft, u.lt
                FROM UNNEST($2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::int8[], $13::text[], $14::text[], $15::int8[], $16::int8[])
                AS u(ts, ct, s, i, o, h, l, c, v, qv, n, tb, vw, ft, lt)
                ON CONFLICT DO NOTHING
                """
        case .depth:
            return """
                INSERT INTO \(table) (ts, received_at, transaction_time, market, symbol, first_update_id, final_update_id, prev_final_update_id, bids, asks)
                SELECT \(time("u.ts", nullable: false)), \(time("u.rt", nullable: false)), \(time("u.tt", nullable: true)),
                $1, u.s, u.fu, u.lu, NULLIF(u.pu, -1), u.b::jsonb, u.a::jsonb
                FROM UNNEST($2::int8[], $3::int8[], $4::int8[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::text[])
                AS u(ts, rt, tt, s, fu, lu, pu, b, a)
                ON CONFLICT DO NOTHING
                """
        }
    }
}

extension String {
    /// Every `target` replaced by `replacement` (the engine does not link Foundation's).
    fileprivate func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
