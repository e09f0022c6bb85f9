/// A fault the simulator applies to one live WebSocket session, as Binance or the network would.
///
/// Faults arrive on the session's own event loop (``ExchangeSimulator/inject(_:connection:)``), so they
/// interleave with the message pump exactly where they were injected and a test can tell which messages were
/// sent before and after.
package enum ConnectionFault: Sendable, Equatable {
    /// Abort the TCP connection (`SO_LINGER` 0), as after a crash or a middlebox timeout.
    case reset
    /// Send a close frame with this code (1000, 1001 at the 24 h mark, 1008 for a policy violation), then close.
    case close(code: UInt16)
    /// Stop sending anything while keeping the socket open, Binance's silent stall. With `answerPings` false
    /// the client's pings go unanswered as well.
    case stall(answerPings: Bool)
    /// Send every later message `delay` late (a congested path: the connection falls behind, in order).
    case slow(delay: Duration)
    /// Send one frame that no parser expects, between two messages.
    case garbage(GarbageFrame)
    /// Send each of the next `count` messages twice in a row.
    case duplicate(count: Int)
    /// Hold each of the next `count` messages back behind the message that follows it.
    case reorder(count: Int)
    /// Send Binance's `serverShutdown` event, then close with 1001 after `closeAfter`.
    case serverShutdown(closeAfter: Duration)
    /// Stop sending one stream while it stays subscribed (LIST still names it), as when the
    /// exchange silently loses a subscription: only a per-stream watchdog can notice.
    case muteStream(String)
    /// Do not send the next `count` messages this session would send: a hole on this connection alone, which
    /// the other connections fill (a chain break only if no other connection is up; for a break every
    /// connection sees, see ``ExchangeSimulator/breakChain(symbol:)``).
    case skip(count: Int)
}

/// The kinds of bad frame ``ConnectionFault/garbage(_:)`` sends.
package enum GarbageFrame: String, Sendable, Equatable, CaseIterable {
    /// A text frame whose bytes are not UTF-8.
    case invalidUTF8 = "invalid-utf8"
    /// A text frame that is not JSON.
    case invalidJSON = "invalid-json"
    /// A message cut off in the middle.
    case truncatedJSON = "truncated-json"
    /// A 2 MiB text frame, above the client's 1 MiB message limit.
    case oversize
    /// A binary frame (Binance sends text only).
    case binary
    /// A well-formed message of an event type nobody knows, on the stream's own name.
    case unknownEvent = "unknown-event"
    /// A book ticker without its update id and prices.
    case missingFields = "missing-fields"
}

/// How the simulator makes the next WebSocket handshakes fail.
package enum HandshakeFault: Sendable, Equatable {
    /// Answer the upgrade request with this HTTP status (429 and 418 as Binance's rate limit and IP ban, 5xx
    /// as an overloaded gateway), with a `Retry-After` header in seconds when given.
    case status(code: Int, retryAfter: Int?)
    /// Present a certificate no client trusts (signed by a throw-away CA). Applies to the next TLS
    /// handshake whatever its connection index, since the index is only known after TLS.
    case wrongCertificate
}
