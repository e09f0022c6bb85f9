import NIOCore
import NIOEmbedded
import Testing

@testable import TickTape

/// Every transition of ``SessionStateMachine`` on `EmbeddedChannel`s: the paths the session's
/// end-to-end tests reach only by timing (a close between upgrade and completion, a stop in the
/// middle of a rotation, a rotation's link created after the rotation ended).
@Suite struct SessionStateMachineTests {
    /// An open machine on `link`.
    static func open(_ link: EmbeddedChannel) -> SessionStateMachine {
        var machine = SessionStateMachine()
        let connects = machine.beginConnecting()
        #expect(connects)
        let adopted = machine.linkCreated(link, role: .primary)
        #expect(adopted)
        guard case .opened(let opened) = machine.primaryUpgraded(isActive: { _ in true }) else {
            Issue.record("the upgrade did not open the session")
            return machine
        }
        #expect(opened === link)
        return machine
    }

    /// An open machine rotating from `old` to `new`, `new` upgraded.
    static func rotating(_ old: EmbeddedChannel, _ new: EmbeddedChannel) -> SessionStateMachine {
        var machine = open(old)
        let rotates = machine.beginRotation()
        #expect(rotates)
        let adopted = machine.linkCreated(new, role: .replacement)
        #expect(adopted)
        guard case .ready(let ready) = machine.replacementUpgraded(new) else {
            Issue.record("the replacement did not become ready")
            return machine
        }
        #expect(ready === new)
        return machine
    }

    @Test func aConnectOpensOnItsLink() {
        let link = EmbeddedChannel()
        let machine = Self.open(link)
        #expect(machine.isOpen)
        #expect(machine.current === link)
        #expect(machine.links.count == 1)
    }

    /// Defect 5: the channel closes after the upgrade, before its completion is handled. The
    /// completion then reports a failure and the session waits to retry, instead of staying
    /// `connecting` with nothing to reconnect.
    @Test func aLinkClosedBeforeItsCompletionFailsTheAttempt() {
        var machine = SessionStateMachine()
        let link = EmbeddedChannel()
        let connects = machine.beginConnecting()
        #expect(connects)
        let adopted = machine.linkCreated(link, role: .primary)
        #expect(adopted)
        guard case .none = machine.closed(link) else {
            Issue.record("a close during the handshake is the completion's to report")
            return
        }
        guard case .failed = machine.primaryUpgraded(isActive: { _ in true }) else {
            Issue.record("the completion of a closed link must fail")
            return
        }
        let (close, retry) = machine.primaryFailed()
        #expect(close == nil)
        #expect(retry)
        guard case .waiting = machine.state else {
            Issue.record("expected waiting, got \(machine.state)")
            return
        }
        let connects2 = machine.beginConnecting()
        #expect(connects2, "the retry can connect again")
    }

    /// An inactive channel at completion time is a failure too.
    @Test func anInactiveLinkAtCompletionFails() {
        var machine = SessionStateMachine()
        let link = EmbeddedChannel()
        _ = machine.beginConnecting()
        _ = machine.linkCreated(link, role: .primary)
        guard case .failed = machine.primaryUpgraded(isActive: { _ in false }) else {
            Issue.record("an inactive link must not open the session")
            return
        }
    }

    /// A stop while TCP is still connecting finishes at once; the link created afterwards is
    /// refused (the session closes it) and the failure that follows schedules nothing.
    @Test func aStopBeforeTheLinkExistsFinishesAndRefusesTheLateLink() {
        var machine = SessionStateMachine()
        _ = machine.beginConnecting()
        let closing = machine.stop()
        #expect(closing.isEmpty)
        guard case .stopped = machine.state else {
            Issue.record("expected stopped, got \(machine.state)")
            return
        }
        let adopted = machine.linkCreated(EmbeddedChannel(), role: .primary)
        #expect(!adopted)
        let failure = machine.primaryFailed()
        #expect(failure.retry == false)
        let connects = machine.beginConnecting()
        #expect(!connects)
        let waits = machine.beginWaiting()
        #expect(!waits)
    }

    @Test func aRotationPromotesOnTheReplacementsFirstFrameAndRetiresTheOldLink() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        #expect(machine.replacement === new)
        let promoted = machine.replacementDelivered(new)
        #expect(promoted?.new === new)
        #expect(promoted?.old === old)
        #expect(machine.current === new)
        #expect(machine.retiring === old)
        #expect(machine.links.count == 2, "the retiring link is still held")
        guard case .retired = machine.closed(old) else {
            Issue.record("the old link's close ends its retirement")
            return
        }
        #expect(machine.retiring == nil)
        #expect(machine.isOpen)
    }

    /// The replacement's first frame can arrive before its upgrade completion is handled.
    @Test func aFirstFrameBeforeTheUpgradeCompletionPromotes() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.open(old)
        _ = machine.beginRotation()
        _ = machine.linkCreated(new, role: .replacement)
        let promotion = machine.replacementDelivered(new)
        #expect(promotion != nil)
        guard case .alreadyPromoted = machine.replacementUpgraded(new) else {
            Issue.record("the late completion of a promoted link changes nothing")
            return
        }
        #expect(machine.current === new)
    }

    /// Defect 1: a stop in the middle of a rotation waits for, and so closes, every link: the
    /// old one, the upgraded replacement that has not delivered, and finishes only when the last closed.
    @Test func aStopDuringARotationHoldsEveryLinkUntilTheLastCloses() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        let closing = machine.stop()
        #expect(closing.count == 2)
        #expect(closing.contains { $0 === old } && closing.contains { $0 === new })
        let closingAgain = machine.stop()
        #expect(closingAgain.count == 2, "a second stop waits for the same links")
        guard case .none = machine.closed(new) else {
            Issue.record("one link closed, one still open: not finished")
            return
        }
        guard case .stopFinished = machine.closed(old) else {
            Issue.record("the last link closed: the stop is finished")
            return
        }
        guard case .stopped = machine.state else {
            Issue.record("expected stopped, got \(machine.state)")
            return
        }
    }

    /// A stop during a rotation's overlap closes the retiring link too.
    @Test func aStopDuringTheOverlapClosesTheRetiringLink() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        _ = machine.replacementDelivered(new)
        let closing = machine.stop()
        #expect(closing.count == 2)
        #expect(closing.contains { $0 === old }, "the retiring link is closed by the stop")
    }

    /// A rotation that failed (deadline) before its link existed: the link created afterwards
    /// is refused, so an abandoned replacement can never come back to life.
    @Test func aReplacementCreatedAfterItsRotationFailedIsRefused() {
        let old = EmbeddedChannel()
        var machine = Self.open(old)
        _ = machine.beginRotation()
        let (kept, close) = machine.rotationFailed(nil)
        #expect(kept === old)
        #expect(close == nil)
        let adopted = machine.linkCreated(EmbeddedChannel(), role: .replacement)
        #expect(!adopted)
        #expect(machine.current === old)
        #expect(machine.replacement == nil)
    }

    /// A failure reported for a link that is not this rotation's replacement closes only that link.
    @Test func aFailureOfAStrangerLinkEndsNoRotation() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        let stranger = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        let (kept, close) = machine.rotationFailed(stranger)
        #expect(kept == nil)
        #expect(close === stranger)
        #expect(machine.replacement === new, "the rotation goes on")
    }

    @Test func theReplacementClosingFailsTheRotationAndKeepsTheOldLink() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        guard case .replacementClosed = machine.closed(new) else {
            Issue.record("the replacement's close fails the rotation")
            return
        }
        #expect(machine.current === old)
        let rotates = machine.beginRotation()
        #expect(rotates, "a later rotation may start")
    }

    /// The old link dies while its upgraded replacement waits for its first frame: the
    /// replacement takes over, no reconnect.
    @Test func theOldLinkClosingPromotesAReadyReplacement() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        guard case .promoted(let next) = machine.closed(old) else {
            Issue.record("a ready replacement takes over")
            return
        }
        #expect(next === new)
        #expect(machine.current === new)
        #expect(machine.retiring == nil)
    }

    /// The old link dies before its replacement is upgraded: a disconnect, and the replacement
    /// is handed back to be closed with it.
    @Test func theOldLinkClosingBeforeTheReplacementIsReadyDisconnects() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.open(old)
        _ = machine.beginRotation()
        _ = machine.linkCreated(new, role: .replacement)
        guard case .disconnected(let abandoned) = machine.closed(old) else {
            Issue.record("the session's link closed: a disconnect")
            return
        }
        #expect(abandoned === new)
        guard case .waiting = machine.state else {
            Issue.record("expected waiting, got \(machine.state)")
            return
        }
        let adopted = machine.linkCreated(EmbeddedChannel(), role: .replacement)
        #expect(!adopted)
    }

    @Test func anOpenLinkClosingDisconnects() {
        let link = EmbeddedChannel()
        var machine = Self.open(link)
        guard case .disconnected(nil) = machine.closed(link) else {
            Issue.record("expected a disconnect with nothing abandoned")
            return
        }
        #expect(!machine.isOpen)
        let rotates = machine.beginRotation()
        #expect(!rotates, "no rotation without a link")
    }

    /// A close of a link nobody holds (an old retiring link after a second rotation began,
    /// a refused late link) changes nothing.
    @Test func aStrangerClosingChangesNothing() {
        let link = EmbeddedChannel()
        var machine = Self.open(link)
        guard case .none = machine.closed(EmbeddedChannel()) else {
            Issue.record("a stranger's close must change nothing")
            return
        }
        #expect(machine.current === link)
    }

    /// Only an open session (not one already rotating) starts a rotation.
    @Test func oneRotationAtATime() {
        let old = EmbeddedChannel()
        let new = EmbeddedChannel()
        var machine = Self.rotating(old, new)
        let rotates = machine.beginRotation()
        #expect(!rotates)
        #expect(machine.replacement === new)
        #expect(machine.current === old)
    }
}
