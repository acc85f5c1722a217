// swift-tools-version: 6.1
//
// Benchmarks for Syncwright, a separate package so the root package stays light.
// Run everything:   swift run -c release --package-path Benchmarks syncwright-benchmarks
// A quick check:    swift run -c release --package-path Benchmarks syncwright-benchmarks --smoke

import Foundation
import PackageDescription

/// A path dependency is identified by its folder's name, which is whatever the clone
/// was called; read it instead of assuming it.
let rootPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SyncwrightBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(path: "../Server"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "syncwright-benchmarks",
            dependencies: [
                .product(name: "SyncwrightSchema", package: rootPackage),
                .product(name: "Syncwright", package: rootPackage),
                .product(name: "SyncwrightAsyncHTTPClient", package: rootPackage),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SyncwrightGenerator", package: rootPackage),
                .product(name: "SyncwrightServer", package: "Server"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SyncwrightBenchmarks"
        ),
    ],
    swiftLanguageModes: [.v6]
)
