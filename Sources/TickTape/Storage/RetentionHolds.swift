import Synchronization

/// The segments each consumer of a capture's files (a sink) has not consumed yet, which
/// retention must keep.
///
/// A holder says "keep `base` and everything after it" (segment base names sort in time
/// order); ``earliest(capture:)`` is what the sealer's retention pass must not touch. A holder
/// registered with the empty base keeps everything (a sink that has not read its first line).
/// Holds are set from the sinks' durable cursors before the engine starts, so a restart never
/// opens a window in which retention could delete what a sink still needs.
///
/// When the disk is critically full retention deletes a held segment anyway (capture matters
/// more than a sink's backlog); ``overridden(capture:segment:)`` then tells every holder that
/// lost it, so each can raise an alarm and write a ledger entry.
package final class RetentionHolds: Sendable {
    /// Called with the capture and the segment base that was deleted while held.
    package typealias OverrideHandler = @Sendable (_ capture: String, _ segment: String) -> Void

    private struct Holder {
        var from: String
        var onOverride: OverrideHandler?
    }

    private let state = Mutex<[String: [String: Holder]]>([:])

    package init() {}

    /// Keeps `capture`'s segments from `base` on for `holder` (replacing its earlier hold).
    package func hold(capture: String, holder: String, from base: String, onOverride: OverrideHandler? = nil) {
        state.withLock { s in
            let handler = onOverride ?? s[capture]?[holder]?.onOverride
            s[capture, default: [:]][holder] = Holder(from: base, onOverride: handler)
        }
    }

    /// Moves `holder`'s hold forward (never back: a stale update cannot re-protect nothing).
    package func advance(capture: String, holder: String, to base: String) {
        state.withLock { s in
            guard var h = s[capture]?[holder], base > h.from else { return }
            h.from = base
            s[capture]![holder] = h
        }
    }

    /// Drops every hold of `holder`.
    package func release(holder: String) {
        state.withLock { s in
            for capture in s.keys { s[capture]![holder] = nil }
        }
    }

    /// The earliest base any holder keeps for `capture`, or nil when nothing is held.
    package func earliest(capture: String) -> String? {
        state.withLock { s in s[capture]?.values.map(\.from).min() }
    }

    /// Whether deleting `segment` of `capture` takes data from some holder.
    package func isHeld(capture: String, segment: String) -> Bool {
        guard let earliest = earliest(capture: capture) else { return false }
        return segment >= earliest
    }

    /// Reports that `segment` was deleted although held, to every holder it was taken from.
    package func overridden(capture: String, segment: String) {
        let handlers = state.withLock { s in
            (s[capture] ?? [:]).values.filter { segment >= $0.from }.compactMap(\.onOverride)
        }
        for handler in handlers { handler(capture, segment) }
    }
}
