// swift-tools-version: 6.1
//
// The FieldService example: a technician device whose entity types are generated from
// Sources/FieldServiceModel/syncwright.yaml by the Syncwright build plugin, and the
// `fieldservice` command that plays that device (README.md's tour).

import Foundation
import PackageDescription

/// The Syncwright package is the repository two folders up; a path dependency is
/// identified by its folder's name, so read it rather than assume it.
let syncwright = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "FieldService",
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [
        .library(name: "FieldServiceModel", targets: ["FieldServiceModel"]),
        .executable(name: "fieldservice", targets: ["fieldservice"]),
    ],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "FieldServiceModel",
            dependencies: [.product(name: "Syncwright", package: syncwright)],
            exclude: ["syncwright.yaml", "syncwright-config.yaml"],
            plugins: [.plugin(name: "SyncwrightPlugin", package: syncwright)]
        ),
        .executableTarget(
            name: "fieldservice",
            dependencies: [
                "FieldServiceModel",
                .product(name: "SyncwrightAsyncHTTPClient", package: syncwright),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "FieldServiceModelTests", dependencies: ["FieldServiceModel"]),
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
