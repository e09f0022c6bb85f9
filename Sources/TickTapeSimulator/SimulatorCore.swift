import NIOCore
import Synchronization

/// State shared by the server and all connection handlers: the schedule, its clock, the session registry and
/// the sent-message logs.
///
/// Handlers touch the mutex only when a session opens or closes and once per pump batch (log append), never
/// per message.
final class SimulatorCore: Sendable {
    /// What a handler learns when its session is registered.
    struct Registration: Sendable {
        /// Session id, for ``SimulatorCore/closeSession(_:)``.
        var id: Int
        /// Client connection index (from `User-Agent: … conn/<k>` or accept order).
        var connectionIndex: Int
        /// Impairments for this connection index.
        var profile: ConnectionProfile
        /// Where this connection's log lives, `nil` when logging is off.
        var log: SentMessageLog?
        /// First message index this session may receive: 0 if it joined before the clock started, otherwise
        /// the live position at join time.
        var firstIndex: Int
    }

    private struct Session {
        var connectionIndex: Int
        var channel: any Channel
    }

    private struct State {
        var clock: ScheduleClock?
        var sessionsOpened = 0
        var nextAutomaticIndex = 0
        var nextSessionID = 0
        var logs: [Int: SentMessageLog] = [:]
        var sessions: [Int: Session] = [:]
        var handshakeFaults: [(connection: Int?, fault: HandshakeFault)] = []
    }

    let configuration: SimulatorConfiguration
    let schedule: MessageSchedule
    /// Earliest send time per message, when ``SimulatorConfiguration/recordsFirstSendTimes`` is on.
    let firstSends: FirstSendLog?
    /// The REST depth endpoints' weight accounting and faults.
    let rest: RestDepthService
    private let state = Mutex(State())
    private let produced = Atomic<Int>(0)

    init(configuration: SimulatorConfiguration, schedule: MessageSchedule) {
        self.configuration = configuration
        self.schedule = schedule
        self.rest = RestDepthService(limits: configuration.rest, depth: schedule.depth)
        if configuration.recordsFirstSendTimes {
            // A minute of a synthetic feed up front, so the arrays rarely grow (and copy) under the lock.
            var reserve = 0
            if case .synthetic(let synthetic) = configuration.source {
                reserve = Int(min(synthetic.rate * 60, 100_000_000))
            }
            self.firstSends = FirstSendLog(reservingCapacity: reserve)
        } else {
            self.firstSends = nil
        }
    }

    /// Registers a WebSocket session; starts the schedule clock when enough sessions have connected.
    func openSession(requestedIndex: Int?, channel: any Channel) -> Registration {
        let now = NIODeadline.now()
        return self.state.withLock { state in
            let index: Int
            if let requestedIndex {
                index = requestedIndex
            } else {
                index = state.nextAutomaticIndex
                state.nextAutomaticIndex += 1
            }
            state.sessionsOpened += 1
            let firstIndex: Int
            if let clock = state.clock {
                firstIndex =
                    self.schedule.isUnpaced
                    ? self.produced.load(ordering: .relaxed)
                    : self.schedule.firstIndex(dueAfter: clock.offset(of: now))
            } else {
                firstIndex = 0
                if state.sessionsOpened >= self.configuration.startWhenConnected {
                    state.clock = .now()
                }
            }
            let id = state.nextSessionID
            state.nextSessionID += 1
            state.sessions[id] = Session(connectionIndex: index, channel: channel)
            var log: SentMessageLog?
            if self.configuration.recordsSentMessages {
                if let existing = state.logs[index] {
                    log = existing
                } else {
                    let created = SentMessageLog()
                    state.logs[index] = created
                    log = created
                }
            }
            let profiles = self.configuration.profiles
            return Registration(
                id: id,
                connectionIndex: index,
                profile: index >= 0 && index < profiles.count ? profiles[index] : ConnectionProfile(),
                log: log,
                firstIndex: firstIndex
            )
        }
    }

    /// Starts the schedule clock now if no session has started it.
    func startClock() {
        self.state.withLock { state in
            if state.clock == nil { state.clock = .now() }
        }
    }

    /// Removes a session from the registry (its log stays).
    func closeSession(_ id: Int) {
        _ = self.state.withLock { $0.sessions.removeValue(forKey: id) }
    }

    /// The schedule's time base, once started.
    var clock: ScheduleClock? {
        self.state.withLock { $0.clock }
    }

    /// Records that messages below `index` have been produced (processed by some pump).
    func noteProduced(upTo index: Int) {
        var current = self.produced.load(ordering: .relaxed)
        while current < index {
            let (exchanged, original) = self.produced.compareExchange(
                expected: current,
                desired: index,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    var producedCount: Int { self.produced.load(ordering: .relaxed) }

    var activeSessionCount: Int { self.state.withLock { $0.sessions.count } }

    func sentMessages(connection: Int) -> [Int] {
        self.state.withLock { $0.logs[connection] }?.snapshot ?? []
    }

    func channels(connection: Int) -> [any Channel] {
        self.state.withLock { state in
            state.sessions.values.filter { $0.connectionIndex == connection }.map(\.channel)
        }
    }

    /// Queues a handshake fault for the next upgrade of connection `connection` (`nil`: any connection).
    func addHandshakeFault(_ fault: HandshakeFault, connection: Int?) {
        self.state.withLock { $0.handshakeFaults.append((connection, fault)) }
    }

    /// Takes the first queued HTTP-status fault that applies to an upgrade from connection `index`.
    func takeStatusFault(connection index: Int?) -> HandshakeFault? {
        self.state.withLock { state in
            guard
                let i = state.handshakeFaults.firstIndex(where: { entry in
                    guard case .status = entry.fault else { return false }
                    return entry.connection == nil || entry.connection == index
                })
            else { return nil }
            return state.handshakeFaults.remove(at: i).fault
        }
    }

    /// Takes one queued wrong-certificate fault, if any (TLS comes before the connection index is known).
    func takeWrongCertificate() -> Bool {
        self.state.withLock { state in
            guard let i = state.handshakeFaults.firstIndex(where: { $0.fault == .wrongCertificate }) else { return false }
            state.handshakeFaults.remove(at: i)
            return true
        }
    }

    func allChannels() -> [any Channel] {
        self.state.withLock { state in state.sessions.values.map(\.channel) }
    }
}
