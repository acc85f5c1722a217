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
