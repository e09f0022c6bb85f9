import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// Who seals: the facts every manifest repeats about the writer (host, version, the
/// configuration it ran with) and how it compresses.
package struct SealIdentity: Sendable, Equatable {
    package var host: String
    package var ticktapeVersion: String
    /// `sha256:<hex>` of the engine's configuration (see ``configDigest(_:)``).
    package var configDigest: String
    /// zlib level of sealed data files; 6 by measurement (see docs/ARCHITECTURE.md).
    package var compressionLevel: Int32

    package init(
        host: String = SealIdentity.hostName(), ticktapeVersion: String = TickTapeVersion.current, configDigest: String,
        compressionLevel: Int32 = 6
    ) {
        self.host = host
        self.ticktapeVersion = ticktapeVersion
        self.configDigest = configDigest
        self.compressionLevel = compressionLevel
    }

    /// The identity of segments written under `config`.
    package init(config: TickTapeConfig) {
        self.init(configDigest: Self.configDigest(config))
    }

    /// A digest of the configuration's values (not its text: comments and key order do not
    /// change it, any setting does). It tells two segments written under different settings apart.
    package static func configDigest(_ config: TickTapeConfig) -> String {
        "sha256:" + SHA256.hex(of: Array(String(reflecting: config).utf8))
    }

    /// `gethostname(2)`.
    package static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
