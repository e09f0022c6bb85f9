import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's signal dispatch: SIGHUP reloads, SIGTERM/SIGINT end the loop.
///
/// A reload runs as its own task, never inline: a reload that waits (a drained connection that
/// takes its time to close, a slow disk) must not keep the loop from seeing the SIGTERM that
/// follows, or the daemon would sit until systemd's SIGKILL. A SIGHUP that arrives during a
/// reload runs one more reload after it (the file may have changed again); further ones fold
/// into that one. When the loop ends, a running reload is cancelled and not awaited.
enum SignalLoop {
    /// Serves `signals` until a stop signal, which it returns (nil if the sequence ended).
    static func serve<Signals: AsyncSequence>(
        _ signals: Signals, reload: @escaping @Sendable () async -> Void
    ) async -> Int32? where Signals.Element == Int32 {
        let reloads = ReloadRunner(reload: reload)
        defer { reloads.cancel() }
        do {
            for try await signal in signals {
                if signal == SIGHUP {
                    reloads.request()
                    continue
                }
                return signal
            }
        } catch {
            return nil
        }
        return nil
    }
}

/// Runs reloads one at a time off the signal loop, folding requests that arrive meanwhile.
private final class ReloadRunner: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var again = false
    }
    private let state = Mutex(State())
    private let reload: @Sendable () async -> Void

    init(reload: @escaping @Sendable () async -> Void) { self.reload = reload }

    func request() {
        state.withLock { s in
            if s.task != nil {
                s.again = true
                return
            }
            // Created under the lock, so the task's own look at the state waits for this assignment.
            s.task = Task { [self] in
                while !Task.isCancelled {
                    await reload()
                    let more = state.withLock { s -> Bool in
                        if s.again {
                            s.again = false
                            return true
                        }
                        s.task = nil
                        return false
                    }
                    if !more { return }
                }
            }
        }
    }

    func cancel() {
        state.withLock { s in
            s.task?.cancel()
            s.again = false
        }
    }
}
