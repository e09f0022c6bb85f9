/// What ``WebSocketSession/testObserver`` is told: the moments a test must act at exactly.
enum SessionTestEvent: Sendable {
    /// A link became the session's connection (first connect or reconnect, not a rotation).
    case opened
    /// A rotation began: its replacement is connecting.
    case rotationStarted
    /// A rotation's replacement is upgraded (and subscribed); it has not delivered yet.
    case replacementReady
    /// The replacement delivered and took over; the old link is retiring (overlap).
    case promoted
}
