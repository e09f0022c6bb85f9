/// The rows read from one capture since the last write, column by column: exactly the arrays
/// bound to the `UNNEST` inserts, so a batch is written with one statement per table and no
/// value ever becomes SQL text.
///
/// Times are microseconds since the epoch (PostgreSQL's resolution); -1 stands for NULL.
/// Prices and quantities are the exact decimal text Binance sent, checked to be plain decimals
/// (so the `numeric` cast cannot fail a batch), never a `Double`.
struct SinkBatch {
    struct BookTickers {
        var ts: [Int64] = [], receivedAt: [Int64] = [], eventTime: [Int64] = [], transactionTime: [Int64] = []
        var symbol: [String] = [], updateID: [Int64] = []
        var bidPrice: [String] = [], bidQuantity: [String] = [], askPrice: [String] = [], askQuantity: [String] = []
        var count: Int { ts.count }
    }

    struct Trades {
        var ts: [Int64] = [], receivedAt: [Int64] = [], eventTime: [Int64] = []
        var symbol: [String] = [], tradeID: [Int64] = [], price: [String] = [], quantity: [String] = []
        var buyerIsMaker: [Bool] = []
        /// aggTrade only: the first and last trade ids aggregated.
        var firstTradeID: [Int64] = [], lastTradeID: [Int64] = []
        var count: Int { ts.count }
    }

    struct Snapshots {
        var ts: [Int64] = [], sourceTs: [Int64] = [], symbol: [String] = [], updateID: [Int64] = []
        var bidPrice: [String] = [], bidQuantity: [String] = [], askPrice: [String] = [], askQuantity: [String] = []
        var count: Int { ts.count }
    }

    struct Depth {
        var ts: [Int64] = [], receivedAt: [Int64] = [], transactionTime: [Int64] = [], symbol: [String] = []
        var firstUpdateID: [Int64] = [], finalUpdateID: [Int64] = [], previousFinalUpdateID: [Int64] = []
        var bids: [String] = [], asks: [String] = []
        var count: Int { ts.count }
    }

    struct Bars {
        var openTime: [Int64] = [], closeTime: [Int64] = [], symbol: [String] = [], interval: [String] = []
        var open: [String] = [], high: [String] = [], low: [String] = [], close: [String] = []
        var volume: [String] = [], quoteVolume: [String] = [], takerBuyVolume: [String] = [], vwap: [String] = []
        var trades: [Int64] = [], firstTradeID: [Int64] = [], lastTradeID: [Int64] = []
        var count: Int { openTime.count }
    }

    var bookTickers = BookTickers()
    var trades = Trades()
    var aggTrades = Trades()
    var snapshots = Snapshots()
    var depth = Depth()
    var bars = Bars()
    /// Lines read into this batch (rows come from some of them).
    var lines = 0
    /// Receive stamp (ns) of every line with a row: the delivery latency at commit.
    var receivedStamps: [Int64] = []
    /// Receive stamps (ns) of the first and last line with a row.
    var firstReceivedAt: Int64 = 0
    var lastReceivedAt: Int64 = 0

    var rows: Int {
        bookTickers.count + trades.count + aggTrades.count + snapshots.count + depth.count + bars.count
    }

    var isEmpty: Bool { lines == 0 }
}
