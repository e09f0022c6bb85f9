/// The merged stream as the consumers beyond storage see it (the live relay, order books,
/// sinks): every message once, in id order per stream, plus explicit late copies, so each
/// consumer chooses: a relay can skip a stale book ticker, an archive or a book takes it.
///
/// Called on the merger thread, inline with the capture: an implementation must only copy
/// what it needs into its own queue (an ``SPSCRing``) and return; it must never block, lock a
/// contended mutex or do I/O. Attached with ``CaptureMerger/consumers``.
package protocol MergedStreamConsumer: AnyObject {
    /// The next message of `stream` in order: its id is above every id delivered before.
    /// `frame` is valid only during the call.
    func merged(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer)
    /// A copy of a message the faster connections skipped, with an id below one already
    /// delivered; `placed` says whether the capture file holds it (in its id-ordered place).
    func late(stream: String, id: Int64, receivedAt: Int64, frame: UnsafeRawBufferPointer, placed: Bool)
    /// Ids the capture will never hold (the same record the gap ledger gets).
    func gap(_ record: GapRecord)
}
