import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The relay's thread (`tt-relay`): reads each capture's merged stream (and the books'
/// partial-depth frames) from its ``MergedStreamFeed`` and fans every message out to the
/// WebSocket clients subscribed to its stream.
///
/// Why a thread of its own and groups: the merger only copies each message into a ring (it
/// never waits for the relay), and the relay encodes each message once. Clients with the same
/// subscriptions and form (bare or combined) share a ``Group``: per poll round the group's
/// frames are appended to one buffer, and that one buffer (reference-counted, not copied) is
/// written to every client of the group on its event loop. A thousand clients of one stream
/// cost one encode, one append and a thousand writes per round, not per message.
///
/// `@unchecked Sendable`: the groups, streams and clients are this thread's; other threads
/// reach only `commands` (a `Mutex`) and the atomic counters.
package final class RelayHub: @unchecked Sendable {
    /// Counters for `/metrics`, the status API and tests.
    package struct Figures: Sendable, Equatable {
        package var clients = 0
        package var messagesIn = 0
        /// Buffers handed to clients (one per client per poll round that had its frames).
        package var writes = 0
        /// Clients closed because they fell behind (1008), ever.
        package var slowClosed = 0
        /// Clients closed because the relay's own ring overflowed (1011), ever.
        package var lostClosed = 0
    }

    enum Command {
        case update(RelayClient, names: [String], combined: Bool)
        case detach(RelayClient)
    }

    final class StreamEntry {
        let name: String
        var groups: [Group] = []
        init(name: String) { self.name = name }
    }

    final class Group {
        let key: String
        let combined: Bool
        let names: [String]
        var clients: [RelayClient] = []
        var buffer: ByteBuffer
        init(key: String, combined: Bool, names: [String], allocator: ByteBufferAllocator) {
            self.key = key
            self.combined = combined
            self.names = names
            self.buffer = allocator.buffer(capacity: 0)
        }
    }

    final class Source {
        let capture: String
        let feed: MergedStreamFeed
        var streams: [UInt16: StreamEntry] = [:]
        init(capture: String, feed: MergedStreamFeed) {
            self.capture = capture
            self.feed = feed
        }
    }

    /// Stream names the captures carry or the books can serve; anything else is acknowledged
    /// and stays silent, as on Binance, with a log line here.
    package let knownStreams: Set<String>
    private let logger: Logger
    /// One line a minute for subscriptions to streams nobody carries, however many clients
    /// make them (a thousand clients with the same typo must not flood the journal).
    private let unknownLog = Mutex(RateLimitedLog(every: .seconds(60)))
    private let books: BookService?
    private let commands = Mutex<[Command]>([])
    /// Every client attached now, for the close at stop (event loops add and remove).
    private let attached = Mutex<[ObjectIdentifier: RelayClient]>([:])
    private let sourcesToAdd = Mutex<[Source]>([])
    private let figures = Mutex(Figures())
    /// Rounds handed to event loops and not yet written: while one is in flight the next round
    /// keeps accumulating, so a busy loop gets fewer, larger writes (one per client per round)
    /// instead of a queue of tiny ones.
    private let roundsInFlight = Atomic<Int>(0)
    /// Set by the relay thread when a pass found nothing to read and nothing left to hand over:
    /// what the merger emitted so far has reached the event loops.
    private let caughtUp = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private var thread: PinnedThread?
    // Relay thread only.
    private var sources: [Source] = []
    private var streams: [String: StreamEntry] = [:]
    private var groups: [String: Group] = [:]
    private var membership: [ObjectIdentifier: Group] = [:]
    private var dirty: [Group] = []
    private var encoder = RelayFrameEncoder()
    private let allocator = ByteBufferAllocator()
    private var local = Figures()

    package init(knownStreams: Set<String>, books: BookService?, logger: Logger) {
        self.knownStreams = knownStreams
        self.books = books
        self.logger = logger
    }

    /// A feed for a capture's merger to hand its stream to (every stream).
    package static func makeFeed() -> MergedStreamFeed {
        MergedStreamFeed(capacity: 1 << 24)
    }

    /// Starts relaying the stream a capture's merger (or the book thread) hands to `feed`.
    package func add(capture: String, feed: MergedStreamFeed) {
        sourcesToAdd.withLock { $0.append(Source(capture: capture, feed: feed)) }
    }

    package var currentFigures: Figures { figures.withLock { $0 } }

    /// A client's subscriptions or form changed (event loop side).
    func update(_ client: RelayClient, names: [String], combined: Bool) {
        attached.withLock { $0[ObjectIdentifier(client)] = client }
        commands.withLock { $0.append(.update(client, names: names, combined: combined)) }
    }

    /// Logs (rate-limited, for the whole hub) the names in `names` that no capture carries:
    /// Binance acknowledges such a subscription and then sends nothing, and so does the relay.
    func noteSubscribed(_ names: [String]) {
        guard let unknown = names.first(where: { !knownStreams.contains($0) }) else { return }
        unknownLog.withLock {
            $0.log(
                logger, .warning, "a relay client subscribed to a stream no capture carries; it gets nothing on it",
                metadata: ["stream": "\(unknown)"])
        }
    }

    /// A client is gone (event loop side).
    func detach(_ client: RelayClient) {
        attached.withLock { $0[ObjectIdentifier(client)] = nil }
        commands.withLock { $0.append(.detach(client)) }
    }

    /// Closes every client with 1001 ("going away") after what is already queued for it, and
    /// returns when their connections are closed (at most `timeout`): a stopping daemon says
    /// goodbye the way Binance does before a restart, it does not just drop sockets.
    package func closeAllClients(timeout: Duration = .seconds(5)) async {
        // What the merger emitted before the stop reaches every client first.
        let deadline = ContinuousClock.now + timeout
        caughtUp.store(false, ordering: .releasing)
        while running.load(ordering: .acquiring), !stopped.load(ordering: .acquiring), !caughtUp.load(ordering: .acquiring),
            ContinuousClock.now < deadline
        {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let clients = attached.withLock { Array($0.values) }
        for client in clients { client.close(code: 1001, reason: "ticktape is stopping") }
        for client in clients {
            while client.channel.isActive, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }

    /// Counts a client closed for falling behind (event loop side).
    func countSlowClose() {
        figures.withLock { $0.slowClosed += 1 }
    }

    package func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread = PinnedThread.start(name: "tt-relay") { [self] in
            // On a shared CPU the capture's threads go first: a crowd of clients must never
            // cost the capture path its latency (measured in scripts/bench-relay).
            ThreadPriority.lowerCurrentThread()
            run()
        }
    }

    package func stop() async {
        guard running.load(ordering: .acquiring), !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await thread?.joined()
    }

    // MARK: Relay thread

    private func run() {
        var idle = 0
        while !stopped.load(ordering: .acquiring) {
            var work = takeCommands()
            for source in sources {
                var n = 0
                while n < 1024, source.feed.ring.pop({ record in handle(record, from: source) }) { n += 1 }
                work += n
            }
            work += deliver()
            caughtUp.store(work == 0 && dirty.isEmpty && roundsInFlight.load(ordering: .acquiring) == 0, ordering: .releasing)
            if work > 0 {
                idle = 0
                // Slow closes are counted on the event loops, straight into `figures`.
                figures.withLock { shared in
                    local.slowClosed = shared.slowClosed
                    shared = local
                }
            } else if groups.isEmpty {
                // Nobody to serve: the feed is drained (so it never overflows) at a lazy pace.
                usleep(1000)
            } else {
                idle += 1
                usleep(idle < 2000 ? 20 : 500)
            }
        }
        // Stopping: every client is closed by the listener's shutdown.
    }

    private func takeCommands() -> Int {
        sources += sourcesToAdd.withLock { s in defer { s.removeAll() }; return s }
        let taken = commands.withLock { c in defer { c.removeAll() }; return c }
        guard !taken.isEmpty else { return 0 }
        for command in taken {
            switch command {
            case .update(let client, let names, let combined):
                leave(client)
                join(client, names: names, combined: combined)
            case .detach(let client):
                leave(client)
            }
        }
        local.clients = membership.count
        var partial = Set<String>()
        for group in groups.values {
            for name in group.names where BookService.partialDepth(name) != nil { partial.insert(name) }
        }
        books?.setWantedPartialStreams(partial)
        return taken.count
    }

    private func leave(_ client: RelayClient) {
        guard let group = membership.removeValue(forKey: ObjectIdentifier(client)) else { return }
        group.clients.removeAll { $0 === client }
        guard group.clients.isEmpty else { return }
        groups[group.key] = nil
        for name in group.names { streams[name]?.groups.removeAll { $0 === group } }
        dirty.removeAll { $0 === group }
    }

    private func join(_ client: RelayClient, names: [String], combined: Bool) {
        let sorted = Array(Set(names)).sorted()
        let key = (combined ? "c|" : "r|") + sorted.joined(separator: "/")
        let group: Group
        if let existing = groups[key] {
            group = existing
        } else {
            group = Group(key: key, combined: combined, names: sorted, allocator: allocator)
            groups[key] = group
            for name in sorted {
                let entry = streams[name] ?? StreamEntry(name: name)
                streams[name] = entry
                entry.groups.append(group)
            }
        }
        group.clients.append(client)
        membership[ObjectIdentifier(client)] = group
    }

    private func handle(_ record: RecordRing.Record, from source: Source) {
        if record.lostBefore > 0 { lost(record.lostBefore, in: source) }
        switch MergedStreamFeed.Kind(rawValue: record.kind) {
        case .stream:
            let name = String(decoding: record.payload, as: UTF8.self)
            let entry = streams[name] ?? StreamEntry(name: name)
            streams[name] = entry
            source.streams[record.stream] = entry
        case .merged:
            local.messagesIn += 1
            guard let entry = source.streams[record.stream], !entry.groups.isEmpty else { return }
            encoder.reset(stream: entry.name, payload: record.payload)
            for group in entry.groups {
                if group.buffer.readableBytes == 0 { dirty.append(group) }
                if group.combined {
                    var frame = encoder.combinedFrame()
                    group.buffer.writeBuffer(&frame)
                } else {
                    var frame = encoder.rawFrame()
                    group.buffer.writeBuffer(&frame)
                }
            }
        case .latePlaced, .lateUnplaced, .gap, .none:
            // A late copy is older than what clients already have (the merged order went past
            // it); a gap is in the capture's ledger. Binance's clients expect neither.
            return
        }
    }

    /// The ring from this capture overflowed: its clients would see a hole, so they are closed
    /// (1011) and reconnect, never served a stream with silent holes.
    private func lost(_ count: UInt32, in source: Source) {
        var closed = 0
        for entry in source.streams.values {
            for group in entry.groups {
                for client in group.clients {
                    client.close(code: 1011, reason: "relay fell behind; reconnect")
                    closed += 1
                }
            }
        }
        local.lostClosed += closed
        logger.error(
            "relay lost messages of a capture (its ring was full); closed its clients",
            metadata: ["capture": "\(source.capture)", "lost": "\(count)", "clients": "\(closed)"])
    }

    /// Hands every group's frames of this round to its clients' event loops.
    private func deliver() -> Int {
        guard !dirty.isEmpty, roundsInFlight.load(ordering: .acquiring) == 0 else { return 0 }
        // One batch per event loop; the serve listener has a handful of loops (`threads`), so a
        // linear search beats hashing.
        var perLoop: [(loop: any EventLoop, batch: [(RelayClient, ByteBuffer)])] = []
        for group in dirty {
            let shared = group.buffer
            group.buffer = allocator.buffer(capacity: shared.readableBytes)
            for client in group.clients {
                let loop = client.eventLoop
                if let k = perLoop.firstIndex(where: { $0.loop === loop }) {
                    perLoop[k].batch.append((client, shared))
                } else {
                    perLoop.append((loop, [(client, shared)]))
                }
                local.writes += 1
            }
        }
        let count = dirty.count
        dirty.removeAll(keepingCapacity: true)
        roundsInFlight.add(perLoop.count, ordering: .releasing)
        for (loop, batch) in perLoop {
            loop.execute { [self] in
                for (client, buffer) in batch { client.deliver(buffer) }
                roundsInFlight.subtract(1, ordering: .releasing)
            }
        }
        return count
    }
}

