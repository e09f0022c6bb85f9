import NIOCore

/// The life of one ``WebSocketSession``, and every link it holds, in one value.
///
/// Why a state machine: the session used to encode its life in a handful of optionals
/// (`channel`, `replacement`, `replacementReady`, `retiring`, `stopPromise`) beside a small
/// enum, and each defect a review found (a stop that never closed an upgraded replacement, a
/// slot left in `connecting` forever, an abandoned rotation's replacement resurrected by its late
/// completion) was a combination of them nobody had thought through. Here each event is one
/// method, each method switches over every state, and each returns what the session must do;
/// the session performs the I/O (close, schedule, log) and owns nothing else about the links.
///
/// Links are channels only by identity here (no I/O), so `EmbeddedChannel`s drive every
/// transition in the tests. Confined to the session's event loop (a value, owned by the session).
struct SessionStateMachine {
    typealias Link = any Channel

    enum State {
        /// Made, not started.
        case idle
        /// Opening the first link (or a reconnect): nil until the bootstrap created the channel.
        case connecting(Link?)
        /// Delivering on the link.
        case open(Link)
        /// Delivering on `old` while its make-before-break replacement `new` is opened (nil
        /// until the bootstrap created it); `ready` once `new` is upgraded.
        case rotating(old: Link, new: Link?, ready: Bool)
        /// Between attempts: a backoff, the shared attempt budget, or the exchange's `Retry-After`.
        case waiting
        /// Stopped by the owner; closing these links, finished when the last one closed.
        case stopping([Link])
        /// Nothing open, nothing will be.
        case stopped
    }

    private(set) var state = State.idle
    /// The link a promotion retired: it feeds the ring for the rotation overlap, then closes.
    /// Apart from ``state`` because it outlives its rotation: the session is `open` on the new
    /// link meanwhile, and may even rotate again.
    private(set) var retiring: Link?

    /// The link the session delivers on (while connecting: the one being opened).
    var current: Link? {
        switch state {
        case .connecting(let link): link
        case .open(let link), .rotating(let link, _, _): link
        case .idle, .waiting, .stopping, .stopped: nil
        }
    }

    /// A rotation's replacement, while one is being opened.
    var replacement: Link? {
        if case .rotating(_, let new, _) = state { return new }
        return nil
    }

    /// Whether the session delivers on a link (open, or open and rotating).
    var isOpen: Bool {
        switch state {
        case .open, .rotating: true
        default: false
        }
    }

    /// Whether ``stop()`` has been called.
    var isStopped: Bool {
        switch state {
        case .stopping, .stopped: true
        default: false
        }
    }

    /// Every link the session holds: current, replacement, retiring (or those a stop waits for).
    var links: [Link] {
        var all: [Link] = []
        switch state {
        case .connecting(let link): if let link { all.append(link) }
        case .open(let link): all.append(link)
        case .rotating(let old, let new, _):
            all.append(old)
            if let new { all.append(new) }
        case .stopping(let waiting): all += waiting
        case .idle, .waiting, .stopped: break
        }
        if let retiring, !all.contains(where: { $0 === retiring }) { all.append(retiring) }
        return all
    }

    // MARK: Connecting

    /// A connect attempt begins (start, or a retry's timer). False: stopped, or already connected.
    mutating func beginConnecting() -> Bool {
        switch state {
        case .idle, .waiting:
            state = .connecting(nil)
            return true
        case .connecting, .open, .rotating, .stopping, .stopped:
            return false
        }
    }

    /// The attempt waits (budget exhausted, failure, disconnect). False: stopped, nothing to wait for.
    mutating func beginWaiting() -> Bool {
        switch state {
        case .stopping, .stopped:
            return false
        case .idle, .waiting, .connecting, .open, .rotating:
            state = .waiting
            return true
        }
    }

    enum Role { case primary, replacement }

    /// The bootstrap created a channel. False: nobody waits for it any more (stopped, rotation
    /// abandoned), the caller closes it at once.
    mutating func linkCreated(_ link: Link, role: Role) -> Bool {
        switch (state, role) {
        case (.connecting(nil), .primary):
            state = .connecting(link)
            return true
        case (.rotating(let old, nil, _), .replacement):
            state = .rotating(old: old, new: link, ready: false)
            return true
        default:
            return false
        }
    }

    enum UpgradeOutcome {
        /// The link is the session's connection now.
        case opened(Link)
        /// The link closed between the upgrade and its completion: count it as a failed attempt.
        case failed
        /// Nobody waits for this link (stopped meanwhile): close it.
        case close(Link?)
    }

    /// The first link's upgrade completed. `isActive`: whether the channel is still open.
    mutating func primaryUpgraded(isActive: (Link) -> Bool) -> UpgradeOutcome {
        guard case .connecting(let link) = state else { return .close(nil) }
        guard let link, isActive(link) else { return .failed }
        state = .open(link)
        return .opened(link)
    }

    /// The first link's connect or upgrade failed. The link to close (if created), or `nil`
    /// with `retry` false when a stop came first.
    mutating func primaryFailed() -> (close: Link?, retry: Bool) {
        switch state {
        case .connecting(let link):
            state = .waiting
            return (link, true)
        case .stopping, .stopped:
            return (nil, false)
        case .idle, .waiting, .open, .rotating:
            return (nil, false)
        }
    }

    // MARK: Rotation

    /// A rotation begins on an open session; false when not open or already rotating.
    mutating func beginRotation() -> Bool {
        guard case .open(let link) = state else { return false }
        state = .rotating(old: link, new: nil, ready: false)
        return true
    }

    enum ReplacementUpgradeOutcome {
        /// Upgraded: subscribe it (when the stream needs it) and wait for its first frame.
        case ready(Link)
        /// Its first frame already promoted it.
        case alreadyPromoted
        /// Its rotation is over: close it.
        case close
    }

    /// A replacement's upgrade completed.
    mutating func replacementUpgraded(_ link: Link) -> ReplacementUpgradeOutcome {
        switch state {
        case .open(let current) where current === link:
            return .alreadyPromoted
        case .rotating(let old, let new?, _) where new === link:
            state = .rotating(old: old, new: new, ready: true)
            return .ready(new)
        default:
            return .close
        }
    }

    /// The replacement delivered its first market-data frame: it becomes the session's link and
    /// the old one retires (the caller closes it after the overlap). Nil: not this rotation's.
    mutating func replacementDelivered(_ link: Link) -> (new: Link, old: Link)? {
        guard case .rotating(let old, let new?, _) = state, new === link else { return nil }
        state = .open(new)
        retiring = old
        return (new, old)
    }

    /// The rotation failed (its replacement refused, timed out or closed): the session keeps
    /// its link. Returns the replacement to close; nil `kept` when `link` is not this
    /// rotation's replacement (then only `link` is closed).
    mutating func rotationFailed(_ link: Link?) -> (kept: Link?, close: Link?) {
        guard case .rotating(let old, let new, _) = state, link == nil || link === new else {
            return (nil, link)
        }
        state = .open(old)
        return (old, new)
    }

    // MARK: Closing

    enum ClosedOutcome {
        /// Nothing changes (a link nobody holds, or one whose failure its completion reports).
        case none
        /// The retired link of the last rotation is gone.
        case retired
        /// The replacement closed before delivering: the rotation failed; keep the old link.
        case replacementClosed
        /// The old link closed while its upgraded replacement waited: the replacement takes over.
        case promoted(Link)
        /// The session's link closed: reconnect. `abandoned`: the replacement to close with it.
        case disconnected(abandoned: Link?)
        /// The last link a stop waited for closed.
        case stopFinished
    }

    /// A link's channel closed.
    mutating func closed(_ link: Link) -> ClosedOutcome {
        let wasRetiring = retiring === link
        if wasRetiring { retiring = nil }
        switch state {
        case .stopping(var waiting):
            waiting.removeAll { $0 === link }
            if waiting.isEmpty {
                state = .stopped
                return .stopFinished
            }
            state = .stopping(waiting)
            return .none
        case .connecting(let current?) where current === link:
            // The link closed during the handshake: its completion counts the failure.
            state = .connecting(nil)
            return .none
        case .open(let current) where current === link:
            state = .waiting
            return .disconnected(abandoned: nil)
        case .rotating(let old, let new?, _) where new === link:
            state = .open(old)
            return .replacementClosed
        case .rotating(let old, let new, let ready) where old === link:
            if ready, let new {
                state = .open(new)
                return .promoted(new)
            }
            state = .waiting
            return .disconnected(abandoned: new)
        default:
            return wasRetiring ? .retired : .none
        }
    }

    /// The owner stops the session: every link it holds closes now. Returns them; empty when
    /// nothing is open (the session is stopped at once, ``isStopped``).
    mutating func stop() -> [Link] {
        if case .stopping(let waiting) = state { return waiting }
        let open = links
        state = open.isEmpty ? .stopped : .stopping(open)
        retiring = nil
        return open
    }
}
