/// Everything an ``ExchangeSimulator`` needs to know before it starts.
///
/// The defaults describe a quiet, Binance-like USD-M endpoint on an ephemeral loopback port: plain `ws://`,
/// server pings every 180 s (as UM does), no per-connection impairments and the control-message limit that
/// Binance enforces. Tests and benchmarks change only what they exercise.
package struct SimulatorConfiguration: Sendable {
    /// Address to bind. Loopback by default so a test never exposes a port.
    package var host: String = "127.0.0.1"
    /// Port to bind; `0` asks the kernel for an ephemeral port, which ``ExchangeSimulator/start()`` returns.
    package var port: Int = 0
    /// PEM certificate chain and key for `wss://`; `nil` serves plain `ws://`.
    package var tls: TLSFiles?
    /// Where the global message schedule comes from.
    package var source: MessageSource
    /// Interval of server-initiated ping frames (payload: the current Unix time in ms, like Binance UM).
    package var pingInterval: Duration = .seconds(180)
    /// Impairments per client connection index; an index without an entry gets ``ConnectionProfile/init()``.
    package var profiles: [ConnectionProfile] = []
    /// Seed for every pseudo-random choice (update ids, prices, drops, delays), so runs are reproducible.
    package var seed: UInt64 = 1
    /// The schedule's clock starts once this many WebSocket sessions have connected.
    ///
    /// With the default `1` the first client starts the clock and later clients join live, as on Binance.
    /// Setting it to N makes N racing connections all start at message 0, which keeps multi-connection
    /// tests deterministic.
    package var startWhenConnected: Int = 1
    /// Incoming text/ping/pong frames allowed per connection within one second before the server closes it
    /// with 1008, like Binance's 10 msg/s rule; `nil` disables the check.
    package var controlMessageLimit: Int? = 10
    /// Smallest gap between two pump runs of one connection while messages are arriving faster than this.
    ///
    /// At 200k msg/s a message is due every 5 µs; waking for each would cost a syscall per message. Coalescing
    /// into windows of this length keeps the writes large while timing stays accurate to about this value.
    package var batchWindow: Duration = .microseconds(100)
    /// Whether ``ExchangeSimulator/sentMessages(connection:)`` is recorded. Long-running CLI sessions at high
    /// rates turn it off because the log grows by 8 bytes per message and connection.
    package var recordsSentMessages: Bool = true
    /// Whether the earliest send time of every message over all connections is recorded, for
    /// ``ExchangeSimulator/writeSendLog(to:)`` (the end-to-end benchmark's reference clock). Off by default;
    /// costs 9 bytes per message index and one clock read per pump batch.
    package var recordsFirstSendTimes: Bool = false
    /// How long a WebSocket session may live before the server closes it with 1001, like Binance's 24 h
    /// cut; `nil` keeps sessions forever. Tests scale it down to seconds.
    package var connectionLifetime: Duration?
    /// Faults injected at set or random times once the simulator has started.
    package var faults = FaultScript()
    /// Weight budgets of the REST depth endpoints (`/fapi/v1/depth`, `/api/v3/depth`).
    package var rest = RestLimits()

    /// Creates a configuration serving `source` with all other settings at their defaults.
    package init(source: MessageSource) {
        self.source = source
    }
}

/// PEM files for a TLS (`wss://`) listener.
package struct TLSFiles: Sendable {
    /// Path of the PEM certificate chain, leaf first.
    package var certificateChainPath: String
    /// Path of the PEM private key matching the leaf certificate.
    package var privateKeyPath: String

    /// Creates a TLS file pair.
    package init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}
