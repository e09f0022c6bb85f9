import Foundation

/// The tests' independent rebuild of a Binance book: `JSONSerialization` for parsing,
/// dictionaries of price text → quantity text, and the documented procedure written out
/// plainly (buffer until the snapshot, skip what it covers, apply the rest). It shares no code
/// with the engine, so agreement between the two means something.
struct NaiveBook {
    enum Market { case usdm, spot }

    let market: Market
    var bids: [String: String] = [:]
    var asks: [String: String] = [:]
    var snapshotID: Int64?
    var lastApplied: Int64?
    var waiting: [[String: Any]] = []

    init(market: Market) { self.market = market }

    var isSynced: Bool { lastApplied != nil }

    /// Feeds one frame (any stream; only depth diffs and bare REST snapshots count). Returns
    /// true if it was a depth diff.
    @discardableResult
    mutating func feed(_ frame: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any] else { return false }
        if object["stream"] == nil, let id = (object["lastUpdateId"] as? NSNumber)?.int64Value {
            bids = [:]
            asks = [:]
            for pair in object["bids"] as! [[String]] { bids[pair[0]] = pair[1] }
            for pair in object["asks"] as! [[String]] { asks[pair[0]] = pair[1] }
            snapshotID = id
            let buffered = waiting
            waiting = []
            for diff in buffered { applyIfNew(diff) }
            return false
        }
        guard let data = object["data"] as? [String: Any], data["e"] as? String == "depthUpdate" else { return false }
        if snapshotID == nil { waiting.append(data) } else { applyIfNew(data) }
        return true
    }

    private mutating func applyIfNew(_ data: [String: Any]) {
        let u = (data["u"] as! NSNumber).int64Value
        let covered = market == .usdm ? u < snapshotID! : u <= snapshotID!
        if covered { return }
        for pair in data["b"] as! [[String]] { bids[pair[0]] = isZero(pair[1]) ? nil : pair[1] }
        for pair in data["a"] as! [[String]] { asks[pair[0]] = isZero(pair[1]) ? nil : pair[1] }
        lastApplied = u
    }

    private func isZero(_ text: String) -> Bool { text.allSatisfy { $0 == "0" || $0 == "." } }

    /// Levels in `engine` (price, quantity as text) that differ from this book, plus levels
    /// here that the engine lacks.
    static func differences(_ engine: [(String, String)], _ naive: [String: String]) -> Int {
        var remaining = naive
        var differing = 0
        for (p, q) in engine {
            if remaining.removeValue(forKey: p) != q { differing += 1 }
        }
        return differing + remaining.count
    }

    /// Numeric order of two non-negative decimal strings, without any decimal type.
    static func less(_ a: String, _ b: String) -> Bool {
        let pa = a.split(separator: ".", omittingEmptySubsequences: false)
        let pb = b.split(separator: ".", omittingEmptySubsequences: false)
        let ia = pa[0].drop { $0 == "0" }
        let ib = pb[0].drop { $0 == "0" }
        if ia.count != ib.count { return ia.count < ib.count }
        if ia != ib { return ia < ib }
        var fa = pa.count > 1 ? String(pa[1]) : ""
        var fb = pb.count > 1 ? String(pb[1]) : ""
        let n = max(fa.count, fb.count)
        fa += String(repeating: "0", count: n - fa.count)
        fb += String(repeating: "0", count: n - fb.count)
        return fa < fb
    }
}
