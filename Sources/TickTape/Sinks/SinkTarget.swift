/// What a sink writes to. The runtime (``SinkRunner``) owns reading, batching, retries and the
/// cursor; a target only connects, writes a batch idempotently, and says whether it worked.
///
/// Every method is called on the sink's own thread and may block it (never a capture thread,
/// never the cooperative pool). `write` must be idempotent: after a crash the runner replays
/// from the last confirmed cursor, so the tail of what was written before comes again.
protocol SinkTarget: AnyObject {
    /// Connects (and prepares the schema); throws a ``SinkError`` whose message an operator
    /// can act on.
    func connect() throws(SinkError)
    /// Writes every row of `batch` (all rows of one capture, whose market is `market`), and
    /// returns once the target has made them durable.
    func write(_ batch: SinkBatch, market: String) throws(SinkError)
    /// Drops the connection (after a failure, or at stop).
    func disconnect()
    /// Whether a connection is up.
    var isConnected: Bool { get }
}
