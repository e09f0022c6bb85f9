import Foundation
import Testing
import TickTapeSimulator

extension SimulatorSocketTests {
    @Suite("wss:// with a test CA")
    struct TLSTests {
        @Test("serves wss:// that a client verifies against the test CA for localhost", .timeLimit(.minutes(1)))
        func verifiedTLS() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("ticktape-sim-tls-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let files = try TestCertificateAuthority.make(in: directory)
            var configuration = syntheticConfiguration(rate: 1_000, count: 20)
            configuration.tls = TLSFiles(certificateChainPath: files.certPath, privateKeyPath: files.keyPath)
            try await withSimulator(configuration) { simulator, port in
                let client = try await TestWebSocketClient.connect(
                    port: port, path: "/stream?streams=btcusdt@bookTicker", connectionIndex: 0, caPath: files.caPath)
                let log = try await client.wait(for: "20 frames over TLS") { $0.texts.count == 20 }
                #expect(log.texts == (0..<20).map { simulator.frame(message: $0, combined: true) })

                simulator.disconnect(connection: 0, how: .reset)
                let closed = try await client.wait(for: "reset over TLS") { $0.closed }
                #expect(closed.closeCode == nil)
            }
        }
    }
}
