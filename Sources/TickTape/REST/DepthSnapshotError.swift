/// Why a depth snapshot could not be had; every case says what to look at.
package enum DepthSnapshotError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The request was refused before it was sent (a limit the market does not accept, a bad symbol).
    case invalidRequest(String)
    /// TCP or TLS failed (including an untrusted certificate).
    case connectionFailed(String)
    /// No complete response within the timeout.
    case timedOut(Duration)
    /// 429: the weight budget is exhausted; Binance says when to come back.
    case rateLimited(retryAfter: Duration?)
    /// 418: the IP is banned for ignoring a 429.
    case banned(retryAfter: Duration?)
    /// Any other non-200 status, with Binance's `msg` when the body has one.
    case httpStatus(Int, String)
    /// A 200 whose body is not a depth snapshot.
    case malformedResponse(String)
    /// The body exceeded the size a snapshot can have.
    case responseTooLarge(Int)

    package var description: String {
        switch self {
        case .invalidRequest(let why): "invalid snapshot request: \(why)"
        case .connectionFailed(let why): "snapshot connection failed: \(why)"
        case .timedOut(let timeout): "no snapshot response within \(HumanDuration.format(timeout))"
        case .rateLimited(let retryAfter):
            "HTTP 429 (request weight exhausted)" + (retryAfter.map { ", Retry-After \(HumanDuration.format($0))" } ?? "")
        case .banned(let retryAfter):
            "HTTP 418 (IP banned after a 429)" + (retryAfter.map { ", Retry-After \(HumanDuration.format($0))" } ?? "")
        case .httpStatus(let status, let message): "HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .malformedResponse(let why): "malformed snapshot response: \(why)"
        case .responseTooLarge(let limit): "snapshot response larger than \(limit) bytes"
        }
    }
}
