import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One configured capture: its N sessions, their rings, its merge state and its writer.
///
/// The capture is the unit that reload adds, removes or resizes; everything it owns lives
/// and dies with it.
package final class Capture: Sendable {
    private let state: Mutex<(config: CaptureConfig, sessions: [WebSocketSession])>
    package let merger: CaptureMerger
    package let writer: SegmentWriter
    /// The TLS context shared by the capture's sessions (nil for ws://).
    let tls: NIOSSLContext?
    /// Lets one of the capture's connections rotate at a time.
    let rotationGate = RotationGate()

    init(config: CaptureConfig, sessions: [WebSocketSession], merger: CaptureMerger, writer: SegmentWriter, tls: NIOSSLContext?) {
        self.state = Mutex((config, sessions))
        self.merger = merger
        self.writer = writer
        self.tls = tls
    }

    /// The configuration the capture runs with.
    package var config: CaptureConfig { state.withLock { $0.config } }

    /// The capture's sessions, by connection index.
    package var sessions: [WebSocketSession] { state.withLock { $0.sessions } }

    /// Connections currently open.
    package var connectionsUp: Int {
        sessions.reduce(0) { $0 + ($1.statistics.connected.load(ordering: .relaxed) ? 1 : 0) }
    }

    /// Whether at least one connection is open and has delivered data.
    package var isDelivering: Bool {
        sessions.contains {
            $0.statistics.connected.load(ordering: .relaxed) && $0.statistics.framesReceived.load(ordering: .relaxed) > 0
        }
    }

    /// Per-connection counters.
    package var connectionSnapshots: [ConnectionStatistics.Snapshot] { sessions.map(\.statistics.snapshot) }

    func setConfig(_ config: CaptureConfig) {
        state.withLock { $0.config = config }
    }

    func appendSession(_ session: WebSocketSession) {
        state.withLock { $0.sessions.append(session) }
    }

    func removeLastSession() -> WebSocketSession? {
        state.withLock { $0.sessions.popLast() }
    }

    static func makeTLSContext(for config: CaptureConfig) throws -> NIOSSLContext? {
        guard config.endpoint.useTLS else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let ca = config.caFile {
            tls.additionalTrustRoots = [.file(ca)]
        }
        return try NIOSSLContext(configuration: tls)
    }
}
