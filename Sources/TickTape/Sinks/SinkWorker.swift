/// One configured sink as the daemon runs it: its thread, started and stopped by
/// ``SinkService``, and its figures. ``SinkRunner`` loads lines as rows (PostgreSQL);
/// ``S3ArchiveRunner`` archives whole sealed segments. Both use the same cursor store,
/// retention holds, backoff and ``SinkStatistics``.
package protocol SinkWorker: AnyObject, Sendable {
    var config: SinkConfig { get }
    /// Per capture, for metrics and STATUS.
    var statistics: [SinkStatistics] { get }
    func start()
    /// Stops after the request in flight; nothing unconfirmed is recorded as done.
    func stop() async
}
