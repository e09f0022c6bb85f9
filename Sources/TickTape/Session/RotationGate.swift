import Synchronization

/// Lets one connection of a capture rotate at a time.
///
/// A rotation briefly runs an extra connection and then drops the old one; if two connections
/// of a capture rotated together, the capture would briefly rely on fewer established
/// connections than configured. Jittered ages make collisions rare; this gate makes them
/// impossible. Sessions live on different event loops, hence the atomic.
package final class RotationGate: Sendable {
    private let holder = Atomic<Int>(-1)

    package init() {}

    /// Takes the gate for connection `index`; false if another connection holds it.
    func tryAcquire(_ index: Int) -> Bool {
        holder.compareExchange(expected: -1, desired: index, ordering: .acquiringAndReleasing).exchanged
    }

    /// Releases the gate if `index` holds it.
    func release(_ index: Int) {
        _ = holder.compareExchange(expected: index, desired: -1, ordering: .acquiringAndReleasing)
    }

    /// The connection rotating now, or nil.
    package var rotating: Int? {
        let h = holder.load(ordering: .relaxed)
        return h < 0 ? nil : h
    }
}
