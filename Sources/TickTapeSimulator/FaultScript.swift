/// Faults to inject at set times, and optionally at random, seeded times: the script form of
/// ``ExchangeSimulator/inject(_:connection:)`` for `ticktape simulate --fault` and soak runs.
package struct FaultScript: Sendable, Equatable {
    /// One scheduled fault.
    package struct Step: Sendable, Equatable {
        /// Time after ``ExchangeSimulator/start()``.
        package var at: Duration
        /// Connection index, or `nil` for every open connection at once.
        package var connection: Int?
        /// What happens.
        package var action: Action

        package init(at: Duration, connection: Int?, action: Action) {
            self.at = at
            self.connection = connection
            self.action = action
        }
    }

    /// A fault on a live session, on the next handshakes, or on the listener.
    package enum Action: Sendable, Equatable {
        case live(ConnectionFault)
        case handshake(HandshakeFault)
        /// Close the listener for this long, so connection attempts are refused.
        case refuse(Duration)
        /// Skip the next update of this symbol's book (every symbol's when `nil`) on every connection: a break
        /// of the update-id chain (``ExchangeSimulator/breakChain(symbol:)``); the step's connection is ignored.
        case breakChain(symbol: String?)
        /// Apply this fault to the next REST depth request; the step's connection is ignored.
        case rest(RestFault)
    }

    /// Random faults: one every `meanInterval` on average (exponential gaps), on a random connection among
    /// `connections`, of a kind drawn from `kinds`; reproducible from ``SimulatorConfiguration/seed``.
    package struct Random: Sendable, Equatable {
        package var meanInterval: Duration
        package var connections: Int
        package var kinds: [ConnectionFault]

        package init(meanInterval: Duration, connections: Int, kinds: [ConnectionFault] = Random.recoverable) {
            self.meanInterval = meanInterval
            self.connections = connections
            self.kinds = kinds
        }

        /// Faults a client recovers from without help: everything but an endless stall with pings answered
        /// (that one needs the client's staleness watchdog, which is what it tests).
        package static let recoverable: [ConnectionFault] = [
            .reset, .close(code: 1000), .close(code: 1001), .close(code: 1008), .stall(answerPings: true),
            .stall(answerPings: false), .garbage(.invalidUTF8), .garbage(.invalidJSON), .garbage(.truncatedJSON),
            .garbage(.oversize), .garbage(.binary), .garbage(.unknownEvent), .garbage(.missingFields),
            .duplicate(count: 5), .reorder(count: 5), .serverShutdown(closeAfter: .seconds(1)),
        ]
    }

    package var steps: [Step]
    package var random: Random?

    package init(steps: [Step] = [], random: Random? = nil) {
        self.steps = steps
        self.random = random
    }

    package var isEmpty: Bool { steps.isEmpty && random == nil }
}
