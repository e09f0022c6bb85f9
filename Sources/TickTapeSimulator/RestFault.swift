/// A fault on the simulator's next REST depth requests (``ExchangeSimulator/failRestRequests(_:count:)``).
package enum RestFault: Sendable, Equatable {
    /// Take the snapshot on arrival but send it this much later, as a slow gateway: the stream moves on
    /// meanwhile, so a client must buffer diffs while the snapshot is in flight.
    case delay(Duration)
    /// Answer with this HTTP status and a Binance error body (`{"code":-1001,"msg":…}`), with a
    /// `Retry-After` in seconds when given. Weight is not charged.
    case status(code: Int, retryAfter: Int?)
    /// Answer 200 with a body that is not a depth snapshot (cut off in the middle of the JSON).
    case malformedBody
}
