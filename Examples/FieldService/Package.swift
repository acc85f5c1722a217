// swift-tools-version: 6.1
//
// The FieldService example: a technician device whose entity types are generated from
// Sources/FieldServiceModel/syncwright.yaml by the Syncwright build plugin.

import Foundation
import PackageDescription

/// The Syncwright package is the repository two folders up; a path dependency is
/// identified by its folder's name, so read it rather than assume it.
let syncwright = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "FieldService",
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [.library(name: "FieldServiceModel", targets: ["FieldServiceModel"])],
    dependencies: [.package(path: "../..")],
    targets: [
        .target(
            name: "FieldServiceModel",
            dependencies: [.product(name: "Syncwright", package: syncwright)],
            exclude: ["syncwright.yaml", "syncwright-config.yaml"],
            plugins: [.plugin(name: "SyncwrightPlugin", package: syncwright)]
        ),
        .testTarget(name: "FieldServiceModelTests", dependencies: ["FieldServiceModel"]),
    ],
    swiftLanguageModes: [.v6]
)
