// swift-tools-version: 6.1
//
// The root package: what an app adds. Keep it light: Yams, ArgumentParser and GRDB;
// no web server, database driver or crypto dependencies here (those live in Server/).
// AsyncHTTPClient is used only by the SyncwrightAsyncHTTPClient product, so an app that
// doesn't add that product never resolves it.

import PackageDescription

let package = Package(
    name: "Syncwright",
    platforms: [.macOS(.v13), .iOS(.v16), .tvOS(.v16), .watchOS(.v9)],
    products: [
        .library(name: "Syncwright", targets: ["Syncwright"]),
        .library(name: "SyncwrightCore", targets: ["SyncwrightCore"]),
        .library(name: "SyncwrightAsyncHTTPClient", targets: ["SyncwrightAsyncHTTPClient"]),
        .library(name: "SyncwrightSchema", targets: ["SyncwrightSchema"]),
        .library(name: "SyncwrightGenerator", targets: ["SyncwrightGenerator"]),
        .executable(name: "syncwright", targets: ["syncwright"]),
        .plugin(name: "SyncwrightPlugin", targets: ["SyncwrightPlugin"]),
        .plugin(name: "SyncwrightCommand", targets: ["SyncwrightCommand"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Only for `swift package generate-documentation` (scripts/docs); no target uses it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "SyncwrightSchema",
            dependencies: ["SyncwrightCore", .product(name: "Yams", package: "Yams")],
            path: "Sources/Schema"
        ),
        .target(
            name: "SyncwrightGenerator",
            dependencies: ["SyncwrightSchema", "SyncwrightCore", .product(name: "Mustache", package: "swift-mustache")],
            path: "Sources/Generator"
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "SyncwrightCore",
            dependencies: ["CZlib"],
            path: "Sources/Core"
        ),
        .target(
            name: "Syncwright",
            dependencies: [
                "SyncwrightCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Runtime"
        ),
        .target(
            name: "SyncwrightAsyncHTTPClient",
            dependencies: [
                "Syncwright",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/AsyncHTTPClientTransport"
        ),
        .executableTarget(
            name: "syncwright",
            dependencies: [
                "SyncwrightSchema",
                "SyncwrightGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI"
        ),
        .plugin(
            name: "SyncwrightPlugin",
            capability: .buildTool(),
            dependencies: ["syncwright"],
            path: "Plugins/SyncwrightPlugin"
        ),
        .plugin(
            name: "SyncwrightCommand",
            capability: .command(
                intent: .custom(verb: "generate-sync-code", description: "Write the generated sync code into each target's Generated/ folder"),
                permissions: [.writeToPackageDirectory(reason: "writes the generated Swift files into the target's Generated/ folder")]
            ),
            dependencies: ["syncwright"],
            path: "Plugins/SyncwrightCommand"
        ),
        .testTarget(
            name: "SyncwrightCoreTests",
            dependencies: ["SyncwrightCore"],
            path: "Tests/CoreTests"
        ),
        .testTarget(
            name: "SyncwrightSchemaTests",
            dependencies: ["SyncwrightSchema"],
            path: "Tests/SchemaTests"
        ),
        .testTarget(
            name: "SyncwrightTests",
            dependencies: ["Syncwright", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/RuntimeTests"
        ),
        .testTarget(
            name: "SyncwrightAsyncHTTPClientTests",
            dependencies: [
                "SyncwrightAsyncHTTPClient", "Syncwright",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/AsyncHTTPClientTests"
        ),
        .testTarget(
            name: "SyncwrightGeneratorTests",
            dependencies: ["SyncwrightGenerator", "SyncwrightSchema", .product(name: "Mustache", package: "swift-mustache")],
            path: "Tests/GeneratorTests"
        ),
        .testTarget(
            name: "SyncwrightGeneratedCodeTests",
            dependencies: ["Syncwright"],
            path: "Tests/GeneratedCodeTests"
        ),
        .testTarget(
            name: "SyncwrightCLITests",
            dependencies: ["syncwright", "SyncwrightSchema", "SyncwrightGenerator"],
            path: "Tests/CLITests"
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
