import Logging
import NIOCore
import NIOSSL

/// One configured capture: its N sessions, their rings, its merge state and its writer.
///
/// The capture is the unit that reload adds, removes or resizes; everything it owns lives
/// and dies with it.
public final class Capture: @unchecked Sendable {
    public private(set) var config: CaptureConfig
    public private(set) var sessions: [WebSocketSession]
    public let merger: CaptureMerger
    public let writer: SegmentWriter

    init(config: CaptureConfig, sessions: [WebSocketSession], merger: CaptureMerger, writer: SegmentWriter) {
        self.config = config
        self.sessions = sessions
        self.merger = merger
        self.writer = writer
    }

    /// Connections currently delivering.
    public var connectionsUp: Int {
        sessions.reduce(0) { $0 + ($1.statistics.connected.load(ordering: .relaxed) ? 1 : 0) }
    }

    /// Per-connection counters.
    public var connectionSnapshots: [ConnectionStatistics.Snapshot] { sessions.map(\.statistics.snapshot) }

    func replaceConfig(_ config: CaptureConfig) {
        self.config = config
        for session in sessions { session.update(config) }
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
