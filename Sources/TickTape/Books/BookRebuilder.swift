/// Rebuilds one symbol's book offline from recorded lines (ticktape captures or hftbacktest
/// recordings), for `ticktape book` and the tests: the same ``BookSynchronizer`` as live, fed
/// the recorded diffs and the recorded snapshots in file order.
///
/// Which lines count:
/// - depth diffs of `symbol` on one stream: the first diff stream seen, or `stream` if given
///   (a capture may carry `@depth` and `@depth@100ms` of one symbol; they are separate chains);
/// - ``BookSnapshotLine``s of `symbol`, and hftbacktest's bare REST bodies (which name no
///   symbol: a one-symbol recording is assumed);
/// - partial-depth messages of `symbol`, as snapshots.
///
/// A snapshot line arriving while the book is synced (a checkpoint, or a REST snapshot the
/// live side fetched for a resync the rebuild did not need) is ignored, as live.
package struct BookRebuilder {
    package let symbol: ShortName
    package private(set) var market: BookMarket?
    package private(set) var stream: ShortName?
    package private(set) var synchronizer: BookSynchronizer?
    /// Diff messages of the symbol fed to the synchronizer.
    package private(set) var diffs = 0
    /// Diffs of the symbol on another stream than the one followed.
    package private(set) var otherStreams = 0
    /// Snapshots offered to the synchronizer.
    package private(set) var snapshots = 0
    /// The last action (for the CLI's summary).
    package private(set) var lastAction: BookSyncAction?
    private var pending: DepthSnapshot?
    private var message = DepthDiff()

    package init(symbol: String, market: BookMarket? = nil, stream: String? = nil) {
        self.symbol = ShortName(symbol, uppercase: true)
        self.market = market
        self.stream = stream.map { ShortName($0) }
    }

    /// Feeds one frame. Returns the synchronizer's action if the frame concerned the book.
    @discardableResult
    package mutating func feed(_ frame: UnsafeRawBufferPointer) -> BookSyncAction? {
        guard message.parse(frame) else { return nil }
        if message.isSnapshot && !message.isPartialDepthStream {
            // A REST snapshot: a snapshot line (names its symbol) or hftbacktest's bare body.
            guard message.symbol.isEmpty || message.symbol == symbol else { return nil }
            if market == nil, let m = message.market { market = m }
            if market == nil, message.snapshotKind.isEmpty {
                // hftbacktest: the USD-M body carries `E`/`T`, the spot one does not.
                market = message.eventTime != 0 ? .usdm : .spot
            }
            let snapshot = DepthSnapshot(message)
            snapshots += 1
            guard synchronizer != nil else {
                pending = snapshot
                return nil
            }
            lastAction = synchronizer!.applySnapshot(snapshot)
            return lastAction
        }
        guard message.symbol == symbol else { return nil }
        if let stream, stream != message.stream {
            otherStreams += 1
            return nil
        }
        stream = message.stream
        if market == nil { market = message.market ?? (message.previousFinalUpdateID != nil ? .usdm : .spot) }
        if synchronizer == nil {
            synchronizer = BookSynchronizer(market: market!)
            if let pending {
                lastAction = synchronizer!.applySnapshot(pending)
                self.pending = nil
            }
        }
        diffs += 1
        lastAction = synchronizer!.apply(message)
        return lastAction
    }
}
