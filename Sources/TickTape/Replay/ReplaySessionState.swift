/// The life of one replay connection: idle → playing ⇄ paused → finished (and back to playing
/// by a seek when the client asked to stay open).
///
/// Every event is one method that switches over every state and says what the handler must
/// do, so which control message is legal when is decided in one place and tested without a
/// socket. The handler performs the I/O (pumping, timers, replies).
enum ReplaySessionState: Equatable, Sendable {
    /// No stream chosen yet (a `/ws` or `/stream` URL without streams, waiting for SUBSCRIBE).
    /// `paused`: a REPLAY.PAUSE came first, so the first SUBSCRIBE starts paused.
    case idle(paused: Bool)
    case playing
    case paused
    /// The stretch is over (`to` reached or the data ended).
    case finished

    /// What the handler does after an event.
    enum Action: Equatable {
        case none
        /// Start (or restart) sending.
        case pump
        /// Stop sending: cancel the timer, remember the recorded instant.
        case halt
        /// Refuse the request with this message (Binance's error reply).
        case reject(String)
    }

    /// The client has at least one stream now.
    mutating func streamsChosen() -> Action {
        switch self {
        case .idle(let paused):
            self = paused ? .paused : .playing
            return paused ? .none : .pump
        case .playing, .paused, .finished: return .none
        }
    }

    mutating func pause() -> Action {
        switch self {
        case .idle: self = .idle(paused: true); return .none
        case .playing: self = .paused; return .halt
        case .paused: return .none
        case .finished: return .reject("the replay is finished; REPLAY.SEEK to play again")
        }
    }

    mutating func resume() -> Action {
        switch self {
        case .idle: self = .idle(paused: false); return .none
        case .playing: return .none
        case .paused: self = .playing; return .pump
        case .finished: return .reject("the replay is finished; REPLAY.SEEK to play again")
        }
    }

    /// A seek repositions in every state; a finished replay plays again.
    mutating func seek() -> Action {
        switch self {
        case .idle: return .none
        case .playing: return .pump
        case .paused: return .none
        case .finished: self = .playing; return .pump
        }
    }

    /// The cursor ran out.
    mutating func reachedEnd() -> Action {
        switch self {
        case .playing: self = .finished; return .halt
        case .idle, .paused, .finished: return .none
        }
    }

    var name: String {
        switch self {
        case .idle: "idle"
        case .playing: "playing"
        case .paused: "paused"
        case .finished: "finished"
        }
    }
}
