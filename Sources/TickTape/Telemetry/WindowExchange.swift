import Synchronization

/// Hands closed ``TelemetryWindow``s from the merger to the reporter and reset ones back,
/// without a lock.
///
/// There is one slot and one atomic owner flag. While the merger owns the slot it holds a
/// reset window ready to record into; the merger swaps it with its active window and passes
/// ownership to the reporter, which summarises, resets and passes it back. If the reporter is
/// late the merger simply keeps recording into the active window (the window grows longer:
/// its real start and end are recorded), so the hot path never blocks.
///
/// `@unchecked Sendable`: the slot changes hands through one atomic; each window has one owner at a time.
final class WindowExchange: @unchecked Sendable {
    private let reporterOwns = Atomic<Bool>(false)
    /// Touched only by the side that owns it according to `reporterOwns`.
    private var slot: TelemetryWindow

    init(spare: TelemetryWindow) {
        self.slot = spare
    }

    /// Merger: whether the reporter has handed the spare back.
    var spareReady: Bool { !reporterOwns.load(ordering: .acquiring) }

    /// Merger, after ``spareReady`` said yes: puts `active` in the slot for the reporter and
    /// makes the spare (prepared by `prepare`) the new active window.
    func swap(_ active: inout TelemetryWindow, prepare: (TelemetryWindow) -> Void) {
        let fresh = slot
        prepare(fresh)
        slot = active
        active = fresh
        reporterOwns.store(true, ordering: .releasing)
    }

    /// Reporter: runs `body` on the closed window if one is waiting, then resets it and hands it back.
    func consume<R>(_ body: (TelemetryWindow) -> R) -> R? {
        guard reporterOwns.load(ordering: .acquiring) else { return nil }
        let closed = slot
        let result = body(closed)
        closed.reset()
        reporterOwns.store(false, ordering: .releasing)
        return result
    }
}
