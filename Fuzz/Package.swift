// swift-tools-version: 6.1
//
// libFuzzer targets, built only by scripts/fuzz (never by the other packages):
//   fuzz-schema  the schema parser and validator: no crash, no hang, every diagnostic located
//   fuzz-wire    the request decoders the server runs on every push and pull, and the
//                response decoders a device runs: no crash, and what decodes encodes back
// Build with `-sanitize=fuzzer` on Linux (scripts/fuzz does). Each target depends only on
// the modules it fuzzes (no GRDB, no runtime), so the sanitizer build stays small.

import Foundation
import PackageDescription

/// The Syncwright package is this folder's parent; a path dependency is named after its folder.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SyncwrightFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "fuzz-schema",
            dependencies: ["FuzzDriver", .product(name: "SyncwrightSchema", package: root)]
        ),
        .executableTarget(
            name: "fuzz-wire",
            dependencies: ["FuzzDriver", .product(name: "SyncwrightCore", package: root)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
