// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ticktape",
    platforms: [.macOS(.v15)],
    // The daemon and the CLI are the products; the libraries are the package's own (`package`
    // access), not an API for other packages.
    products: [
        .executable(name: "ticktaped", targets: ["ticktaped"]),
        .executable(name: "ticktape", targets: ["ticktape"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The PostgreSQL sink (issue #16): the maintained NIO client (binds, TLS, SCRAM).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // SHA-256 of sealed segments and the S3 sink's SigV4 (HMAC-SHA256); postgres-nio builds it already.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(name: "CTickTapeLinux"),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CTimex"),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // What Binance's market-stream wire looks like (control messages and their replies,
        // pre-framed WebSocket frames): shared by the simulator and the relay.
        .target(
            name: "BinanceWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "TickTape",
            dependencies: [
                "BinanceWire",
                "CTickTapeLinux",
                "CZlib",
                "CTimex",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TickTapeSimulator",
            dependencies: [
                "BinanceWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What only the `ticktape` CLI uses (reports, the segment verifier): kept out of the daemon binary.
        .target(
            name: "TickTapeTools",
            dependencies: ["TickTape", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .target(
            name: "TickTapeDaemon",
            dependencies: [
                "TickTape",
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ticktaped",
            dependencies: [
                "TickTape",
                "TickTapeDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ticktape",
            dependencies: [
                "TickTape",
                "TickTapeTools",
                "TickTapeSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TickTapeSimulatorTests",
            dependencies: ["TickTapeSimulator", "BinanceWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TickTapeTests",
            dependencies: [
                "TickTape", "TickTapeSimulator", "TickTapeDaemon", "TickTapeTools", "ticktape",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Microbenchmarks (issue #7): `make bench-micro`, or
// `TICKTAPE_BENCHMARKS=1 swift package --scratch-path .build-bench benchmark`.
// Only with TICKTAPE_BENCHMARKS set, so CI and `make test` never fetch or build the
// benchmark package. The target sits in this package so it can reach `package` symbols.
if Context.environment["TICKTAPE_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "HotPathBenchmarks",
            dependencies: [
                "TickTape",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}
