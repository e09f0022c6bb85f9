import Synchronization

/// The engine the API reports on, set once the engine exists.
///
/// Why a box: ``CaptureEngine`` builds the listener (and so ``ServeAPI``) in its own init,
/// before `self` can be handed out; it fills this in at the end of that init. The reference is
/// weak because the engine owns the listener that owns the API: a strong one would be a cycle.
final class ServeAPIEngineLink: Sendable {
    private struct Weak: @unchecked Sendable {
        weak var engine: CaptureEngine?
    }

    private let box = Mutex(Weak())

    /// The engine, or nil before ``attach(_:)`` (or after the engine is gone).
    var engine: CaptureEngine? { box.withLock { $0.engine } }

    func attach(_ engine: CaptureEngine) {
        box.withLock { $0.engine = engine }
    }
}
