/// What a `[[sink]]` writes to. Every kind shares the sink runtime's cursor store, retention
/// hold, backoff and figures: `postgres` loads lines as rows (``SinkRunner``), `s3` archives
/// whole sealed segments (``S3ArchiveRunner``).
package enum SinkKind: String, Sendable, Equatable, CaseIterable {
    case postgres
    case s3
}

/// Where a new sink (one with no cursor yet) starts reading a capture.
package enum SinkStart: String, Sendable, Equatable, CaseIterable {
    /// The oldest segment still on disk: everything retained is loaded (the default).
    case oldest
    /// The segment being written when the sink first starts: history stays out of the target.
    case latest
}
