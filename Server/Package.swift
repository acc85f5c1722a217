// swift-tools-version: 6.1
//
// The reference sync server, a separate package so an app that adds Syncwright never
// resolves a web server, a database driver or crypto code.
//   swift run --package-path Server syncwright-server --schema Examples/FieldService/syncwright.yaml

import Foundation
import PackageDescription

/// A path dependency is identified by its folder's name, which is whatever the clone
/// was called; read it instead of assuming it.
let rootPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SyncwrightServer",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SyncwrightServer", targets: ["SyncwrightServer"]),
        .executable(name: "syncwright-server", targets: ["syncwright-server"]),
        .library(name: "SyncwrightServerCommand", targets: ["SyncwrightServerCommand"]),
        .executable(name: "fieldservice-server", targets: ["fieldservice-server"]),
        .library(name: "SyncwrightTesting", targets: ["SyncwrightTesting"]),
        .executable(name: "syncwright-simulate", targets: ["syncwright-simulate"]),
    ],
    dependencies: [
        .package(path: ".."),
        // One trait (the server doesn't use Hummingbird's swift-configuration support):
        // with several, SwiftPM orders their defines differently from one root package
        // to another, and the shared build folder compiles Hummingbird again.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "SyncwrightServer",
            dependencies: [
                .product(name: "SyncwrightSchema", package: rootPackage),
                .product(name: "SyncwrightCore", package: rootPackage),
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "SyncwrightTesting",
            dependencies: [
                "SyncwrightServer",
                .product(name: "SyncwrightSchema", package: rootPackage),
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "syncwright-simulate",
            dependencies: [
                "SyncwrightTesting", "SyncwrightServer",
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "SyncwrightSchema", package: rootPackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "SyncwrightServerCommand",
            dependencies: [
                "SyncwrightServer",
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "syncwright-server", dependencies: ["SyncwrightServerCommand"]),
        // The FieldService example's server: the reference one with the example's rules.
        .executableTarget(name: "fieldservice-server", dependencies: ["SyncwrightServer", "SyncwrightServerCommand"]),
        .testTarget(
            name: "SyncwrightServerTests",
            dependencies: [
                "SyncwrightServer", "SyncwrightTesting", "syncwright-server", .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            exclude: ["Keys"]
        ),
        .testTarget(
            name: "SyncwrightTestingTests",
            dependencies: [
                "SyncwrightTesting", "SyncwrightServer", "syncwright-simulate",
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "SyncwrightSchema", package: rootPackage),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The repository's test command (scripts/swift) builds without an index store, which
// nothing it runs reads but one thing: on Linux, SwiftPM finds the tests in the test
// targets' index. SYNCWRIGHT_TEST_INDEX_STORE names where; only test targets write one.
// Unset (any other build), this changes nothing.
if let store = Context.environment["SYNCWRIGHT_TEST_INDEX_STORE"] {
    for target in package.targets where target.type == .test {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-index-store-path", store])]
    }
}
