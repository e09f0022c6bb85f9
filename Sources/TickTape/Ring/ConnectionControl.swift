import Synchronization

/// Requests for one connection slot from outside its session: the way back from the merger
/// thread to the session's event loop, beside the ring that carries frames the other way.
///
/// The stream watchdog (merger thread) asks for a make-before-break replacement here; the
/// session takes the request on its next staleness check. It is a channel of its own so that
/// ``ConnectionStatistics`` holds measurements only and no session decision depends on a counter.
package final class ConnectionControl: Sendable {
    private let replacement = Mutex<String?>(nil)

    package init() {}

    /// Asks the session to replace its link, for `reason` (logged); a newer request replaces an untaken one.
    func requestReplacement(reason: String) {
        replacement.withLock { $0 = reason }
    }

    /// The pending replacement request, if any; taking it clears it.
    func takeReplacementRequest() -> String? {
        replacement.withLock { request in
            defer { request = nil }
            return request
        }
    }
}
