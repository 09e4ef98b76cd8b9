// swift-tools-version: 6.1
import PackageDescription

/// Dependencies run one way (design §2; docs/architecture.md): each target uses only those listed after it.
///
///     keycluster       the executable (serve, CLI, benches)  → KeyClusterTooling, KeyCluster and below
///     KeyClusterTooling local clusters for demos, benches, tests → KeyCluster, ClusterIdentity
///     KeyCluster       the service                           → RaftNode, RaftTransport, RaftCore, ClusterIdentity, Storage
///     RaftNode         the runtime shell and log stores      → RaftCore, RaftWire, RaftTransport, Storage
///     RaftTransport    mutual-TLS peer links                 → ClusterIdentity
///     RaftWire         the Raft message codec                → RaftCore
///     RaftCore         the pure consensus state machine      → nothing at all
///     ClusterIdentity  certificates and the names in them    → (crypto and X.509 packages only)
///     Storage          LMDB for Swift                        → CLMDB
let package = Package(
    name: "KeyCluster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keycluster", targets: ["keycluster"]),
        .library(name: "KeyCluster", targets: ["KeyCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // Already built for async-http-client; the CLI reads KEYCLUSTER_* environment variables through it.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "Storage", dependencies: ["CLMDB"]),
        /// Who a cluster certificate names (members, regions, operators) and how the cluster's
        /// certificates are made: below both the peer links and the service, which check the same names.
        .target(
            name: "ClusterIdentity",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        /// The consensus state machine: a value stepped by messages and ticks. No dependencies, so the
        /// compiler refuses any package module here; `CorePurityTests` refuses the toolchain's (Foundation,
        /// Glibc, Dispatch), which every target may import.
        .target(name: "RaftCore", path: "Sources/Raft/Core"),
        /// The protobuf wire layout of Raft messages (schema in `raft.proto`).
        .target(name: "RaftWire", dependencies: ["RaftCore"], path: "Sources/Raft/Wire", exclude: ["raft.proto"]),
        /// Mutual-TLS peer links carrying length-prefixed frames; knows nothing of Raft messages.
        .target(
            name: "RaftTransport",
            dependencies: [
                "ClusterIdentity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Sources/Raft/Transport"
        ),
        /// The runtime shell: ticks the core on its own thread, persists its output (the log stores live
        /// here), applies, and sends through the wire codec and the transport.
        .target(
            name: "RaftNode",
            dependencies: [
                "RaftCore",
                "RaftWire",
                "RaftTransport",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Raft",
            exclude: ["Core", "Wire", "Transport"]
        ),
        .target(
            name: "KeyCluster",
            dependencies: [
                "ClusterIdentity",
                "RaftCore",
                "RaftNode",
                "RaftTransport",
                "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        /// Development tooling, out of the service library: local clusters of real processes (and in network
        /// namespaces), their layouts and certificates. Used by the executable's `local-cluster`, `demo` and
        /// `bench` commands and by the tests, never by a member serving requests.
        .target(
            name: "KeyClusterTooling",
            dependencies: [
                "ClusterIdentity",
                "KeyCluster",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "keycluster",
            dependencies: [
                "ClusterIdentity",
                "KeyCluster",
                "KeyClusterTooling",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        /// Helpers shared by the test targets: temporary directories, seeds, child processes.
        .target(
            name: "TestSupport",
            dependencies: [
                "KeyCluster", "KeyClusterTooling", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(
            name: "RaftTests",
            dependencies: [
                "ClusterIdentity",
                "RaftCore",
                "RaftWire",
                "RaftTransport",
                "RaftNode",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "KeyClusterTests",
            dependencies: [
                "ClusterIdentity",
                "KeyClusterTooling",
                "KeyCluster",
                "Storage",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
