// swift-tools-version: 6.1
import PackageDescription

/// Dependencies run one way: KeyCluster → Raft → Storage → CLMDB (design §2).
/// `Sources/Raft/Core` imports only the Swift standard library; a test in RaftTests enforces that.
let package = Package(
    name: "KeyCluster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keycluster", targets: ["keycluster"]),
        .library(name: "KeyCluster", targets: ["KeyCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "Storage", dependencies: ["CLMDB"]),
        .target(name: "Raft", dependencies: ["Storage"]),
        .target(name: "KeyCluster", dependencies: ["Raft", "Storage"]),
        .executableTarget(
            name: "keycluster",
            dependencies: [
                "KeyCluster",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        /// Helpers shared by the test targets: temporary directories, seeds, child processes.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(name: "KeyClusterTests", dependencies: ["KeyCluster", "TestSupport"]),
    ]
)
