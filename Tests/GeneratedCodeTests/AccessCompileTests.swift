import Foundation
import Testing

/// Writing a read-only entity must not compile. These tests type-check the generated
/// FieldService code plus one write with `swiftc`, against the modules of this build.
@Suite("Access is checked at compile time")
struct AccessCompileTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build's products folder (the test runner lives there) and its scratch folder.
    static var products: URL {
        #if os(macOS)
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    private func typecheck(_ snippet: String) throws -> (status: Int32, output: String) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "typecheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let snippetFile = folder.appending(path: "Snippet.swift")
        try Data(("import Foundation\nimport Syncwright\n" + snippet).utf8).write(to: snippetFile)
        let golden = Self.root.appending(path: "Tests/Golden/FieldService")
        let sources = try FileManager.default.contentsOfDirectory(atPath: golden.path()).sorted().map { golden.appending(path: $0).path() }
        let scratch = Self.products.deletingLastPathComponent().deletingLastPathComponent()
        var arguments = ["swiftc", "-typecheck", "-I", Self.products.appending(path: "Modules").path()]
        for map in [scratch.appending(path: "checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap"),
                    Self.root.appending(path: "Sources/CZlib/module.modulemap")] {
            arguments += ["-Xcc", "-fmodule-map-file=\(map.path())"]
        }
        #if os(macOS)
        arguments = ["xcrun"] + arguments
        #endif
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments + sources + [snippetFile.path()]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("inserting a read-write entity type-checks")
    func writableCompiles() throws {
        let result = try typecheck("""
            func save(_ store: SyncStore) throws {
                try store.write { try $0.insert(WorkOrder(id: UUID(), number: 1, customerId: UUID())) }
            }
            """)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("inserting a read-only entity does not compile", arguments: ["insert", "update", "delete", "save"])
    func readOnlyFails(method: String) throws {
        let result = try typecheck("""
            func save(_ store: SyncStore) throws {
                try store.write { try $0.\(method)(Customer(id: UUID(), name: "n", region: "r")) }
            }
            """)
        #expect(result.status != 0)
        #expect(result.output.contains("requires that 'Customer' conform to"), "\(result.output)")
    }

    @Test("a writable entity's action syncs and pulls, with typed hooks and queries")
    func writableActionsCompile() throws {
        let result = try typecheck("""
            func act(_ engine: SyncEngine) async throws {
                let report: EntitySyncReport<WorkOrderSync> = try await WorkOrderSync.sync(engine)
                let numbers: [Int?] = report.refused.map { $0.row?.number }
                _ = numbers
                try await WorkOrderSync.pull(engine)
                let pending: [PendingEntityChange<WorkOrder>] = try WorkOrderSync.pending(in: engine.store)
                _ = pending
                engine.on(WorkOrder.self) { event in
                    if case .refused(_, _, _, _, let order?) = event { print(order.number) }
                }
            }
            """)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("a read-only entity has a pull action and no push action", arguments: ["sync(engine)", "pull(engine)"])
    func readOnlyAction(call: String) throws {
        let result = try typecheck("""
            func act(_ engine: SyncEngine) async throws {
                try await CustomerSync.\(call)
            }
            """)
        if call.hasPrefix("pull") {
            #expect(result.status == 0, "\(result.output)")
        } else {
            #expect(result.status != 0)
            #expect(result.output.contains("type 'CustomerSync' has no member 'sync'"), "\(result.output)")
        }
    }
}
