// swift-tools-version: 6.1
//
// The smallest Syncwright app: a library whose entity types are generated from
// Sources/TodoModel/syncwright.yaml by the Syncwright build plugin.

import Foundation
import PackageDescription

/// The Syncwright package is the repository two folders up; a path dependency is
/// identified by its folder's name, so read it rather than assume it.
let syncwright = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "Todo",
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [.library(name: "TodoModel", targets: ["TodoModel"])],
    dependencies: [.package(path: "../..")],
    targets: [
        .target(
            name: "TodoModel",
            dependencies: [.product(name: "Syncwright", package: syncwright)],
            exclude: ["syncwright.yaml", "syncwright-config.yaml"],
            plugins: [.plugin(name: "SyncwrightPlugin", package: syncwright)]
        ),
        .testTarget(name: "TodoModelTests", dependencies: ["TodoModel"]),
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
