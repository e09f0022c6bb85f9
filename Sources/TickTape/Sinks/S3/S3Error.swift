/// One failed S3 request: the HTTP status and S3's error `Code` and `Message`, or no answer at all.
package struct S3Error: Error, CustomStringConvertible, Sendable {
    /// 0 when no response came (connection, TLS, timeout).
    package var status: Int
    /// S3's `<Code>` (`SlowDown`, `PreconditionFailed`, `NoSuchUpload`, …), or the transport failure.
    package var code: String
    package var message: String
    /// `METHOD key`, for the log.
    package var request: String

    /// Worth repeating as it is: no answer, 5xx, throttling, or S3's request timeout.
    package var isRetryable: Bool {
        status == 0 || status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
            || code == "ThrottlingException"
    }

    package var description: String {
        status == 0 ? "\(request): \(message)" : "\(request): HTTP \(status) \(code)\(message.isEmpty ? "" : ": \(message)")"
    }
}
