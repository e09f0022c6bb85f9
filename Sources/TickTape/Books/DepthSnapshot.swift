/// A full book at one update id: a REST depth response (`/fapi/v1/depth`, `/api/v3/depth`:
/// `{"lastUpdateId":…,"E":…,"T":…,"bids":[[p,q]…],"asks":…}`), a partial-depth message, or a
/// snapshot line read back from a capture.
///
/// Snapshots arrive rarely (one per resync or checkpoint), so this value owns its arrays and
/// parsing it may allocate; the diff path never builds one.
package struct DepthSnapshot: Sendable, Equatable {
    /// `lastUpdateId` (on a USD-M partial-depth message, its `u`).
    package var lastUpdateID: Int64
    /// `E`, when given.
    package var eventTime: Int64?
    /// `T`, when given.
    package var transactionTime: Int64?
    /// Best first (bids descending, asks ascending), as Binance lists them.
    package var bids: [PriceLevel]
    package var asks: [PriceLevel]

    package init(
        lastUpdateID: Int64, eventTime: Int64? = nil, transactionTime: Int64? = nil, bids: [PriceLevel],
        asks: [PriceLevel]
    ) {
        self.lastUpdateID = lastUpdateID
        self.eventTime = eventTime
        self.transactionTime = transactionTime
        self.bids = bids
        self.asks = asks
    }

    /// The levels of a full-levels message (``DepthDiff/isSnapshot``).
    package init(_ message: DepthDiff) {
        self.init(
            lastUpdateID: message.finalUpdateID, eventTime: message.eventTime == 0 ? nil : message.eventTime,
            transactionTime: message.transactionTime == 0 ? nil : message.transactionTime, bids: message.bids,
            asks: message.asks)
    }

    /// Parses a REST depth body (or any full-levels message); nil if it is not one.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> DepthSnapshot? {
        var message = DepthDiff(reservingLevels: 0)
        guard message.parse(bytes), message.isSnapshot else { return nil }
        return DepthSnapshot(message)
    }

    /// Parses a REST depth body given as text.
    package static func parse(_ text: String) -> DepthSnapshot? {
        var s = text
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}
