import Foundation
import Testing
@testable import SyncwrightGenerator
import SyncwrightSchema

let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A short line diff for failure messages: each differing line with its number.
func lineDiff(expected: String, actual: String) -> String {
    let left = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let right = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var output: [String] = []
    for index in 0..<max(left.count, right.count) where output.count < 40 {
        let old = index < left.count ? String(left[index]) : nil
        let new = index < right.count ? String(right[index]) : nil
        if old != new {
            if let old { output.append("\(index + 1) - \(old)") }
            if let new { output.append("\(index + 1) + \(new)") }
        }
    }
    return output.joined(separator: "\n")
}

@Suite("Golden files")
struct GoldenFileTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var schema: String
        var folder: String
        var options: GenerationOptions
        var testDescription: String { folder }
    }

    static let cases = [
        Case(schema: "Examples/FieldService/syncwright.yaml", folder: "FieldService", options: GenerationOptions(filePrefix: "FieldService")),
        Case(schema: "Examples/Todo/syncwright.yaml", folder: "Todo", options: GenerationOptions(filePrefix: "Todo")),
        Case(schema: "Tests/Fixtures/Keywords/syncwright.yaml", folder: "Keywords",
             options: GenerationOptions(access: .internal, filePrefix: "Keywords")),
    ]

    @Test("generated code matches the golden files (run scripts/update-golden after a deliberate change)", arguments: cases)
    func golden(_ testCase: Case) throws {
        let file = try SchemaFile(contentsOf: repositoryRoot.appending(path: testCase.schema).path())
        let result = try SyncwrightGenerator.generate(file, options: testCase.options)
        #expect(result.diagnostics.isEmpty)
        let folder = repositoryRoot.appending(path: "Tests/Golden/\(testCase.folder)")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder.path()).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(onDisk == result.files.map(\.name).sorted())
        for generated in result.files {
            let golden = (try? String(contentsOf: folder.appending(path: generated.name), encoding: .utf8)) ?? ""
            #expect(golden == generated.contents, "\(generated.name) differs:\n\(lineDiff(expected: golden, actual: generated.contents))")
        }
    }

    @Test("the templates embedded in the binary are the files in Templates/ (run scripts/embed-templates)")
    func embeddedTemplates() throws {
        let folder = repositoryRoot.appending(path: "Templates")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path()).filter { $0.hasSuffix(".mustache") }
        #expect(Set(files.map { String($0.dropLast(".mustache".count)) }) == Set(BundledTemplates.all.keys))
        #expect(Set(TemplateSet.names) == Set(BundledTemplates.all.keys))
        for file in files {
            let text = try String(contentsOf: folder.appending(path: file), encoding: .utf8)
            let name = String(file.dropLast(".mustache".count))
            #expect(BundledTemplates.all[name] == text, "\(file) differs:\n\(lineDiff(expected: text, actual: BundledTemplates.all[name] ?? ""))")
        }
    }
}

@Suite("Generation")
struct GenerationTests {
    private func generate(_ yaml: String, options: GenerationOptions = GenerationOptions(entityFileCount: 1)) throws -> String {
        let result = try SyncwrightGenerator.generate(SchemaFile(path: "/some/where/syncwright.yaml", text: yaml), options: options)
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics)")
        return result.files.map(\.contents).joined(separator: "\n")
    }

    @Test("adding an entity changes only its own file and the registry")
    func stableFiles() throws {
        func files(_ extra: String) throws -> [String: String] {
            let yaml = """
                syncwright: 1
                name: Zoo
                entities:
                  Alpha: { fields: { id: uuid } }\(extra)
                  Beta: { fields: { id: uuid } }
                  Gamma: { fields: { id: uuid } }
                  Delta: { fields: { id: uuid } }
                  Epsilon: { fields: { id: uuid } }
                subsets:
                  keeper:
                    entities: { Alpha: {}, Beta: {}\(extra.isEmpty ? "" : ", Aardvark: {}"), Gamma: {}, Delta: {}, Epsilon: {} }
                """
            let result = try SyncwrightGenerator.generate(SchemaFile(path: "/zoo/syncwright.yaml", text: yaml), options: GenerationOptions())
            #expect(!result.diagnostics.contains { $0.severity == .error }, "\(result.diagnostics)")
            return Dictionary(uniqueKeysWithValues: result.files.map { ($0.name, $0.contents) })
        }
        let before = try files("")
        // A new entity in the middle of the schema and the subset: the lines of the ones
        // after it move, and round-robin would have moved them to other files.
        let after = try files("\n  Aardvark: { fields: { id: uuid } }")
        #expect(before.keys.sorted() == after.keys.sorted())
        let changed = before.keys.filter { before[$0] != after[$0] }.sorted()
        let aardvarksFile = "SyncwrightEntities\(RenderContext.fileIndex(ofEntity: "Aardvark", files: 8)).swift"
        #expect(changed == [aardvarksFile, "SyncwrightRegistry.swift"].sorted())
        #expect(after[aardvarksFile]?.contains("struct Aardvark") == true)
    }

    @Test("the file set is the contract's, and every file checks the runtime API version, even with other templates")
    func contractAndAPIVersionCheck() throws {
        #expect(GeneratedFileContract.outputFileNames() == ["SyncwrightRegistry.swift"] + (0..<8).map { "SyncwrightEntities\($0).swift" })
        #expect(SyncwrightGenerator.fileNames(options: GenerationOptions(filePrefix: "Shop"))
            == GeneratedFileContract.outputFileNames(prefix: "Shop"))
        let file = SchemaFile(path: "/shop/syncwright.yaml", text: shop)
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A team's templates that know nothing of the version check.
        try "{{% CONTENT_TYPE: TEXT }}\n// registry of {{schemaName}}\n".write(
            to: folder.appending(path: "registry.mustache"), atomically: true, encoding: .utf8)
        try "{{% CONTENT_TYPE: TEXT }}\n// shard {{index}}\n".write(
            to: folder.appending(path: "entities.mustache"), atomically: true, encoding: .utf8)
        for templates in [TemplateSet.bundled, try TemplateSet.bundled(overriddenBy: folder.path())] {
            let files = try SyncwrightGenerator.generate(file, options: GenerationOptions(), templates: templates).files
            #expect(files.map(\.name) == GeneratedFileContract.outputFileNames())
            for generated in files {
                #expect(generated.contents.hasSuffix("""
                    import Syncwright
                    private typealias _SyncwrightRuntimeAPIVersionCheck = SyncwrightRuntimeAPIVersion2

                    """), "\(generated.name)")
            }
        }
    }

    private let shop = """
        syncwright: 1
        name: Shop
        entities:
          Customer:
            fields: { id: uuid, name: string, vip: bool }
          Order:
            doc: An order.
            fields:
              id: uuid
              customer: Customer
              note: { type: string?, doc: Free text }
              state: { enum: [open, paid], default: open }
              total: { type: double, default: 0 }
        subsets:
          clerk:
            entities:
              Order:
                columns: { except: [total] }
                include: { customerName: customer.name }
                access: read-write
              Customer: {}
        """

    @Test("snippets: each schema feature becomes the expected Swift", arguments: [
        ("public struct Order: UpdatableSyncEntity, Codable, Sendable, Hashable {", "a read-write entity"),
        ("public struct Customer: SyncEntity, Codable, Sendable, Hashable {", "a read-only entity"),
        ("    public let name: String", "read-only properties are let"),
        ("    public var customerId: UUID", "a reference becomes <name>Id with the key's type"),
        ("    public var note: String?", "a nullable field"),
        ("    /// Free text", "a field's doc"),
        ("/// An order.", "an entity's doc"),
        ("    public enum State: String, Codable, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {", "an enum"),
        ("    public var state: State", "an enum field"),
        ("    public let customerName: String?", "an include"),
        ("SyncColumn(\"customerName\", .string, nullable: true, include: true),", "an include column"),
        ("public init(id: UUID, customerId: UUID, note: String? = nil, state: State = .open, customerName: String? = nil)", "the initializer with defaults"),
        ("/// - Remark: Generated from entities.Order (syncwright.yaml)", "the source remark: schema path and file name, no line"),
        ("        public static var customerId: Column { Column(\"customerId\") }", "the Columns namespace"),
        ("public enum ShopClerk {", "the registry"),
        ("private typealias _SyncwrightRuntimeAPIVersionCheck = SyncwrightRuntimeAPIVersion2", "the API version check"),
        ("// Generated by syncwright \(SyncwrightVersion.current) from syncwright.yaml, subset 'clerk'.", "the header"),
    ])
    func snippet(expected: String, feature: String) throws {
        let code = try generate(shop)
        #expect(code.contains(expected), "\(feature): '\(expected)' not found")
    }

    @Test("columns left out of the subset are left out of the code")
    func unselectedColumns() throws {
        #expect(try !generate(shop).contains("total"))
    }

    @Test("--access internal makes every declaration internal")
    func internalAccess() throws {
        let code = try generate(shop, options: GenerationOptions(access: .internal, entityFileCount: 1))
        #expect(!code.contains("public "))
        #expect(code.contains("internal struct Order"))
    }

    @Test("output is deterministic and independent of the schema's folder")
    func deterministic() throws {
        let first = try SyncwrightGenerator.generate(SchemaFile(path: "a/syncwright.yaml", text: shop), options: GenerationOptions())
        let second = try SyncwrightGenerator.generate(SchemaFile(path: "/b/c/syncwright.yaml", text: shop), options: GenerationOptions())
        #expect(first.files == second.files)
        #expect(first.files.map(\.name) == SyncwrightGenerator.fileNames(options: GenerationOptions()))
        #expect(first.files.count == 9)
    }

    @Test("a schema with several subsets needs --subset, and the error lists them")
    func subsetChoice() throws {
        let yaml = shop + "\n  manager:\n    entities:\n      Customer: {}\n"
        #expect(throws: GeneratorError("the schema has 2 subsets; choose one with --subset: clerk, manager")) {
            try SyncwrightGenerator.generate(SchemaFile(path: "s.yaml", text: yaml), options: GenerationOptions())
        }
        #expect(throws: GeneratorError("the schema has no subset 'Manager'; did you mean 'manager'?; its subsets are: clerk, manager")) {
            try SyncwrightGenerator.generate(SchemaFile(path: "s.yaml", text: yaml), options: GenerationOptions(subset: "Manager"))
        }
        let code = try generate(yaml, options: GenerationOptions(subset: "manager", entityFileCount: 1))
        #expect(code.contains("public enum ShopManager {"))
    }

    @Test("a schema with errors generates nothing and returns the diagnostics")
    func schemaErrors() throws {
        let result = try SyncwrightGenerator.generate(SchemaFile(path: "s.yaml", text: "syncwright: 1\nname: S\nentities: { A: { fields: { id: strng } } }\n"),
                                                      options: GenerationOptions())
        #expect(result.files.isEmpty)
        #expect(result.diagnostics.map(\.ruleID) == ["unknown-type"])
    }

    @Test("a template folder replaces bundled templates by name; unknown names are refused")
    func templateOverride() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{{% CONTENT_TYPE: TEXT }}\n// Our own header for {{schemaName}}\n".utf8).write(to: folder.appending(path: "header.mustache"))
        let templates = try TemplateSet.bundled(overriddenBy: folder.path())
        #expect(templates.overridden == ["header"])
        let result = try SyncwrightGenerator.generate(SchemaFile(path: "s.yaml", text: shop), options: GenerationOptions(), templates: templates)
        #expect(result.files.allSatisfy { $0.contents.hasPrefix("// Our own header for Shop\n") })

        try Data("x".utf8).write(to: folder.appending(path: "entitys.mustache"))
        #expect(throws: GeneratorError.self) { try TemplateSet.bundled(overriddenBy: folder.path()) }
    }

    @Test("templates export writes every bundled template, which then renders the same")
    func export() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try TemplateSet.bundled.export(to: folder.path())
        #expect(written.count == TemplateSet.names.count)
        let reloaded = try TemplateSet.bundled(overriddenBy: folder.path())
        let file = SchemaFile(path: "s.yaml", text: shop)
        #expect(try SyncwrightGenerator.generate(file, options: GenerationOptions(), templates: reloaded).files
                == SyncwrightGenerator.generate(file, options: GenerationOptions()).files)
    }

    @Test("files are written only when their contents change")
    func writeOnlyChanged() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try SyncwrightGenerator.generate(SchemaFile(path: "s.yaml", text: shop), options: GenerationOptions()).files
        #expect(try SyncwrightGenerator.write(files, to: folder.path()).count == 9)
        #expect(try SyncwrightGenerator.write(files, to: folder.path()).isEmpty)
        var changed = files
        changed[0].contents += "// changed\n"
        #expect(try SyncwrightGenerator.write(changed, to: folder.path()) == [files[0].name])
    }
}

@Suite("Render context")
struct RenderContextTests {
    /// Every stored property must be reachable from templates through `child(named:)`.
    private func checkLookups(_ value: some MustacheParentLike) {
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            #expect(value.child(named: label) != nil, "\(type(of: value)).\(label) is missing from child(named:)")
        }
        #expect(value.child(named: "noSuchName") == nil)
    }

    @Test("templates can reach every field of every context type")
    func lookups() throws {
        let file = try SchemaFile(contentsOf: repositoryRoot.appending(path: "Tests/Fixtures/Keywords/syncwright.yaml").path())
        let model = try #require(SchemaLoader.load(file).model)
        let context = try RenderContext(model: model, options: GenerationOptions())
        checkLookups(context)
        checkLookups(context.shards[0])
        let entity = try #require(context.entities.first)
        checkLookups(entity)
        checkLookups(try #require(entity.properties.first))
        checkLookups(try #require(entity.columns.first))
        checkLookups(try #require(entity.enums.first))
        checkLookups(try #require(entity.enums.first?.cases.first))
        #expect(context.contextVersion == RenderContext.currentVersion)
    }
}

import Mustache

/// The context types, seen through Mustache's lookup protocol.
protocol MustacheParentLike {
    func child(named: String) -> Any?
}

extension RenderContext: MustacheParentLike {}
extension ShardContext: MustacheParentLike {}
extension EntityContext: MustacheParentLike {}
extension PropertyContext: MustacheParentLike {}
extension ColumnContext: MustacheParentLike {}
extension EnumContext: MustacheParentLike {}
extension EnumCaseContext: MustacheParentLike {}
