/// How one kind of Binance stream is deduplicated, ordered and checked for gaps.
///
/// Every stream-specific rule lives here so the merger stays generic. The id named by each
/// rule is the exchange's own sequence id; "first arrival wins" and "strictly increasing
/// output" are defined on it.
package enum SequenceRule: Sendable, Equatable {
    /// `bookTicker`: id `u`. Ids jump by design (one counter per symbol across all book
    /// updates), so a jump is never a gap.
    case bookTicker
    /// `trade`: id `t`, contiguous per symbol: a jump is a gap.
    case trade
    /// `aggTrade`: id `a`, contiguous per symbol: a jump is a gap.
    case aggregateTrade
    /// USD-M diff depth: id `u`, continuity `pu == previous u`.
    case depthChain
    /// Spot diff depth: id `u`, continuity `U == previous u + 1`.
    case depthContiguous
    /// Spot partial depth (`lastUpdateId`), no continuity claim.
    case depthSnapshot
    /// Interval streams (`markPriceUpdate`, tickers, klines): id `E`, no continuity claim.
    case eventTime
    /// No usable id (array streams, unknown events): deduplicated by content.
    case content

    /// Chooses the rule for a scanned data frame. `bytes` is the frame the offsets refer to.
    @inlinable
    package static func classify(_ frame: ScannedFrame, in bytes: UnsafeRawBufferPointer) -> SequenceRule {
        if let e = frame.eventType {
            if equals(bytes, e, "bookTicker") { return frame.updateID != nil ? .bookTicker : .content }
            if equals(bytes, e, "trade") { return frame.tradeID != nil ? .trade : .content }
            if equals(bytes, e, "aggTrade") { return frame.aggregateTradeID != nil ? .aggregateTrade : .content }
            if equals(bytes, e, "depthUpdate") {
                guard frame.updateID != nil else { return .content }
                return frame.previousUpdateID != nil ? .depthChain : (frame.firstUpdateID != nil ? .depthContiguous : .content)
            }
            return frame.eventTime != nil ? .eventTime : .content
        }
        if frame.updateID != nil && frame.hasBidAndAsk { return .bookTicker }  // spot bookTicker has no `e`
        if frame.lastUpdateID != nil { return .depthSnapshot }
        return .content
    }

    /// The exchange sequence id this rule orders by, if the frame has it.
    @inlinable
    package func sequenceID(of frame: ScannedFrame) -> Int64? {
        switch self {
        case .bookTicker, .depthChain, .depthContiguous: return frame.updateID
        case .trade: return frame.tradeID
        case .aggregateTrade: return frame.aggregateTradeID
        case .depthSnapshot: return frame.lastUpdateID
        case .eventTime: return frame.eventTime
        case .content: return nil
        }
    }

    /// The ids missing between the last emitted id and this frame, if this rule can tell.
    @inlinable
    package func missingRange(after previous: Int64, frame: ScannedFrame, id: Int64) -> ClosedRange<Int64>? {
        missingRange(
            after: previous, id: id, firstUpdateID: frame.firstUpdateID, previousUpdateID: frame.previousUpdateID)
    }

    /// The same, from the ids alone (`U` and `pu` of a depth diff): for copies held back.
    @inlinable
    package func missingRange(
        after previous: Int64, id: Int64, firstUpdateID: Int64?, previousUpdateID: Int64?
    ) -> ClosedRange<Int64>? {
        switch self {
        case .trade, .aggregateTrade:
            return id > previous &+ 1 ? (previous &+ 1)...(id &- 1) : nil
        case .depthChain:
            guard let pu = previousUpdateID, pu != previous else { return nil }
            return (previous &+ 1)...max(previous &+ 1, firstUpdateID.map { $0 &- 1 } ?? (id &- 1))
        case .depthContiguous:
            guard let first = firstUpdateID, first > previous &+ 1 else { return nil }
            return (previous &+ 1)...(first &- 1)
        case .bookTicker, .depthSnapshot, .eventTime, .content:
            return nil
        }
    }

    /// Whether this rule can claim gaps at all (ledger entries are only ever made for these).
    package var detectsGaps: Bool {
        switch self {
        case .trade, .aggregateTrade, .depthChain, .depthContiguous: return true
        case .bookTicker, .depthSnapshot, .eventTime, .content: return false
        }
    }

    @inlinable
    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount, range.upperBound <= bytes.count else { return false }
        let l = literal.utf8Start
        for i in 0..<range.count where bytes[range.lowerBound + i] != l[i] { return false }
        return true
    }
}
