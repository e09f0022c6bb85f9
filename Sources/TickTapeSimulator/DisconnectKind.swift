/// How ``ExchangeSimulator/disconnect(connection:how:)`` ends a connection.
package enum DisconnectKind: Sendable, Equatable {
    /// Abort the TCP connection (`SO_LINGER` 0, then close) so the client sees a reset, as after a crash or a
    /// middlebox timeout.
    case reset
    /// Send a WebSocket close frame with this status code, then close the socket, as Binance does at the 24 h
    /// mark (1001) or after a protocol violation (1008).
    case close(code: UInt16)
}
