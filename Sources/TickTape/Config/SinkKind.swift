/// What a `[[sink]]` writes to. Only PostgreSQL exists so far; Kafka, NATS and S3 reuse the same
/// runtime (cursor, retention hold, metrics) with their own target.
package enum SinkKind: String, Sendable, Equatable, CaseIterable {
    case postgres
}

/// Where a new sink (one with no cursor yet) starts reading a capture.
package enum SinkStart: String, Sendable, Equatable, CaseIterable {
    /// The oldest segment still on disk: everything retained is loaded (the default).
    case oldest
    /// The segment being written when the sink first starts: history stays out of the target.
    case latest
}
