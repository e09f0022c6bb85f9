#if canImport(Glibc)
import CTickTapeLinux
import Glibc
#endif
import Synchronization

/// The single thread that polls every session ring of every capture, merges, and fills the
/// writers' buffers.
///
/// One thread for all captures keeps the hot path free of locks: each ``CaptureMerger`` is
/// touched only here. Captures are added and removed through a small command mailbox that the
/// loop checks between batches, which is how a reload changes the set of captures live.
///
/// `@unchecked Sendable`: its loop state is the merger thread's own; other threads only post to the `Mutex` mailbox.
package final class Merger: @unchecked Sendable {
    /// How the loop waits when every ring is empty.
    package let idle: MergerIdleStrategy
    /// Advances on every loop iteration, even when the market is quiet: proof of life for the watchdog.
    package let heartbeat = Atomic<Int>(0)

    private enum Command {
        case add(CaptureMerger)
        case attach(CaptureMerger, SPSCRing<InboundFrame>, ConnectionStatistics, ConnectionControl)
        /// Detach a ring once it is empty (its session must already be stopped).
        case detach(CaptureMerger, SPSCRing<InboundFrame>, done: @Sendable () -> Void)
        /// Drain and remove; `done` runs on the merger thread once the capture's rings are empty and its buffer is handed over.
        case remove(CaptureMerger, drainUntilEmpty: Bool, done: @Sendable () -> Void)
    }

    private let mailbox = Mutex<[Command]>([])
    private let mailboxFlag = Atomic<Bool>(false)
    private let running = Atomic<Bool>(true)
    private var captures: [CaptureMerger] = []
    private var draining: [(CaptureMerger, @Sendable () -> Void)] = []
    private var detaching: [(CaptureMerger, SPSCRing<InboundFrame>, @Sendable () -> Void)] = []
    private var thread: PinnedThread?
    /// Test-only (nil in production): ``FaultSwitches/hangMerger`` stops the loop's progress.
    private let faults: FaultSwitches?

    package init(idle: MergerIdleStrategy, faults: FaultSwitches? = nil) {
        self.idle = idle
        self.faults = faults
    }

    /// Starts the loop on its own thread, pinned to `cpu` if given.
    package func start(cpu: Int?) {
        thread = PinnedThread.start(name: "tt-merge", cpu: cpu) { [self] in run() }
    }

    /// Adds a capture; its rings are polled from the next iteration.
    package func add(_ capture: CaptureMerger) {
        post(.add(capture))
    }

    /// Adds a connection's ring to a running capture (the connection count grew).
    package func attach(
        ring: SPSCRing<InboundFrame>, statistics: ConnectionStatistics, control: ConnectionControl, to capture: CaptureMerger
    ) {
        post(.attach(capture, ring, statistics, control))
    }

    /// Removes a connection's ring from a capture after draining it; its session must be stopped.
    package func detach(ring: SPSCRing<InboundFrame>, from capture: CaptureMerger) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            post(.detach(capture, ring, done: { c.resume() }))
        }
    }

    /// Removes a capture after draining whatever its rings still hold (its sessions must already be stopped).
    /// Blocks until the merger has handed the last buffer to the capture's writer.
    package func remove(_ capture: CaptureMerger) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            post(.remove(capture, drainUntilEmpty: true, done: { c.resume() }))
        }
    }

    /// Stops the loop after draining every ring and handing every buffer to its writer; the
    /// caller suspends (no pool thread is blocked) until the merger thread has returned.
    package func stop() async {
        running.store(false, ordering: .releasing)
        await thread?.joined()
        thread = nil
    }

    private func post(_ command: Command) {
        mailbox.withLock { $0.append(command) }
        mailboxFlag.store(true, ordering: .releasing)
    }

    private func run() {
        #if canImport(Glibc)
        // Sleeps in the idle path must be short: the default 50 µs timer slack would double them.
        _ = tt_set_timer_slack(1)
        #endif
        var idleRounds = 0
        var sinceClock = 0
        while running.load(ordering: .relaxed) {
            // Production: one nil check per poll round (up to 256 messages per capture), no atomic.
            if let faults, faults.hangMerger.load(ordering: .relaxed) {
                usleep(1000)
                continue
            }
            heartbeat.bump()
            if mailboxFlag.load(ordering: .acquiring) { applyCommands() }
            var processed = 0
            for capture in captures { processed &+= capture.poll(budget: 256) }
            if !draining.isEmpty { finishDrains() }
            if !detaching.isEmpty { finishDetaches() }
            sinceClock &+= processed
            if processed == 0 || sinceClock >= 1024 {
                sinceClock = 0
                let now = WallClock.monotonicNanos()
                for capture in captures { capture.flushIfDue(now: now) }
            }
            if processed == 0 {
                idleRounds &+= 1
                waitIdle(rounds: idleRounds)
            } else {
                idleRounds = 0
            }
        }
        // Final drain: sessions are stopped before the merger, so the rings only shrink now.
        applyCommands()
        var rounds = 0
        while rounds < 10_000 {
            var processed = 0
            for capture in captures { processed += capture.poll(budget: 4096) }
            if processed == 0 { break }
            rounds += 1
        }
        for capture in captures { capture.flushNow() }
        finishDrains(force: true)
        finishDetaches(force: true)
    }

    private func finishDetaches(force: Bool = false) {
        detaching.removeAll { capture, ring, done in
            guard force || ring.count == 0 else { return false }
            capture.detach(ring: ring)
            done()
            return true
        }
    }

    private func applyCommands() {
        mailboxFlag.store(false, ordering: .relaxed)
        let commands = mailbox.withLock { m -> [Command] in
            defer { m.removeAll() }
            return m
        }
        for command in commands {
            switch command {
            case .add(let capture):
                captures.append(capture)
            case .remove(let capture, _, let done):
                draining.append((capture, done))
            case .attach(let capture, let ring, let stats, let control):
                capture.attach(ring: ring, statistics: stats, control: control)
            case .detach(let capture, let ring, let done):
                detaching.append((capture, ring, done))
            }
        }
    }

    private func finishDrains(force: Bool = false) {
        draining.removeAll { capture, done in
            guard force || capture.ringsEmpty else { return false }
            _ = capture.poll(budget: Int.max)
            capture.flushNow()
            captures.removeAll { $0 === capture }
            done()
            return true
        }
    }

    @inline(__always)
    private func waitIdle(rounds: Int) {
        switch idle {
        case .spin:
            if rounds & 0xFFFF == 0 { sched_yield() }
        case .backoff:
            // A brief spin and a few yields catch a burst's next message; then 50 µs naps.
            // Receive stamps are taken on the event loop, so a nap delays only the hand-over
            // to the writer (flushed every `flush_interval` anyway), never a measured latency.
            // A longer spin/yield phase cost ~70 µs of CPU per quiet spell: at 10k msg/s on a
            // CPU shared with the event loop that was most of the CPU (bench-e2e).
            if rounds < 32 {
            } else if rounds < 40 {
                sched_yield()
            } else {
                var ts = timespec(tv_sec: 0, tv_nsec: 50_000)
                nanosleep(&ts, nil)
            }
        }
    }
}
