/// The capture line that records a depth snapshot, so a book can be rebuilt from the files
/// alone: `<recv_ns> {"snapshot":{…}}`.
///
/// The frame is Binance's REST depth body with the symbol, market and kind made explicit
/// first, then the body's own members exactly as received:
///
/// ```
/// {"snapshot":{"symbol":"BTCUSDT","market":"usdm","kind":"rest","lastUpdateId":5123107852948,"E":…,"T":…,"bids":[["61800.20","2.909"],…],"asks":[…]}}
/// ```
///
/// - `symbol`: upper case, as in payloads' `s`.
/// - `market`: `usdm` or `spot` (the bridge rules differ).
/// - `kind`: `rest` (a snapshot fetched to sync the book) or `checkpoint` (the engine's own
///   book, written periodically so a replay can seek; its levels are the synced book's).
///
/// Why this shape: hftbacktest records the bare REST body (`{"lastUpdateId":…}`), which works
/// for one-symbol files only; naming the symbol and market keeps the line self-describing in a
/// multi-symbol capture, while the embedded body stays byte-for-byte what Binance sent. The
/// outer key `snapshot` never occurs in market data, so readers tell it apart at once.
/// `ticktape book` reads both this line and hftbacktest's bare one.
package struct BookSnapshotLine: Sendable, Equatable {
    /// Why the snapshot was taken.
    package enum Kind: String, Sendable, Hashable {
        case rest
        case checkpoint
    }

    package var symbol: String
    package var market: BookMarket
    package var kind: Kind
    package var snapshot: DepthSnapshot

    package init(symbol: String, market: BookMarket, kind: Kind, snapshot: DepthSnapshot) {
        self.symbol = symbol
        self.market = market
        self.kind = kind
        self.snapshot = snapshot
    }

    /// The frame (no receive stamp, no newline) for a REST depth response body, which is
    /// embedded unchanged. Nil if `restBody` is not a JSON object.
    package static func encode(
        symbol: String, market: BookMarket, kind: Kind = .rest, restBody: UnsafeRawBufferPointer
    ) -> [UInt8]? {
        var start = 0
        while start < restBody.count, restBody[start] == 0x20 || restBody[start] == 0x0A || restBody[start] == 0x0D
            || restBody[start] == 0x09
        {
            start += 1
        }
        var end = restBody.count
        while end > start, restBody[end - 1] == 0x20 || restBody[end - 1] == 0x0A || restBody[end - 1] == 0x0D
            || restBody[end - 1] == 0x09
        {
            end -= 1
        }
        guard end - start >= 2, restBody[start] == UInt8(ascii: "{"), restBody[end - 1] == UInt8(ascii: "}") else {
            return nil
        }
        var out = header(symbol: symbol, market: market, kind: kind)
        let inner = restBody[(start + 1)..<(end - 1)]
        if inner.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: inner)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// The frame for a REST body given as text.
    package static func encode(symbol: String, market: BookMarket, kind: Kind = .rest, restBody: String) -> [UInt8]? {
        var s = restBody
        return s.withUTF8 { encode(symbol: symbol, market: market, kind: kind, restBody: UnsafeRawBufferPointer($0)) }
    }

    /// The frame for a book's current levels (a checkpoint), at most `limit` per side.
    package static func encode(
        symbol: String, market: BookMarket, kind: Kind = .checkpoint, book: OrderBook, limit: Int = .max
    ) -> [UInt8] {
        var out = header(symbol: symbol, market: market, kind: kind)
        out.append(UInt8(ascii: ","))
        var depth: [UInt8] = []
        book.writeDepthJSON(limit: limit, into: &depth)
        out.append(contentsOf: depth.dropFirst())  // the depth object without its `{`
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func header(symbol: String, market: BookMarket, kind: Kind) -> [UInt8] {
        Array(#"{"snapshot":{"symbol":"\#(symbol.uppercased())","market":"\#(market.rawValue)","kind":"\#(kind.rawValue)""#.utf8)
    }

    /// Reads a snapshot line's frame; nil for anything else (including hftbacktest's bare
    /// REST body, which ``DepthSnapshot/parse(_:)-(UnsafeRawBufferPointer)`` reads).
    package static func decode(_ frame: UnsafeRawBufferPointer) -> BookSnapshotLine? {
        var message = DepthDiff(reservingLevels: 0)
        guard message.parse(frame), message.isSnapshot, message.stream.isEmpty, !message.symbol.isEmpty,
            let market = message.market, let kind = Kind(rawValue: message.snapshotKind.description)
        else { return nil }
        return BookSnapshotLine(symbol: message.symbol.description, market: market, kind: kind, snapshot: DepthSnapshot(message))
    }

    /// Reads a snapshot line's frame given as text.
    package static func decode(_ frame: String) -> BookSnapshotLine? {
        var s = frame
        return s.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }
}
