import Foundation
import SyncwrightGenerator
import SyncwrightSchema

/// Code generation, and how long the generated code takes to compile.
enum GenerateBenchmarks {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Generating the code of a large schema (the translate and render stages, from the
    /// validated model), against validating the same schema (parse and validate).
    static func generation(_ runner: inout BenchmarkRunner, entities: Int, targetSeconds: Double?) throws {
        let file = SchemaFile(path: "generated.yaml", text: SchemaBenchmarks.generatedSchema(entities: entities, fields: 20))
        guard let model = SchemaLoader.load(file).model else { throw BenchmarkFailure("the generated schema did not validate") }
        let options = GenerationOptions()
        var files: [GeneratedFile] = []
        let generate = try runner.measure {
            files = try SyncwrightGenerator.render(RenderContext(model: model, options: options), options: options)
        }
        guard files.count == 9, files.contains(where: { $0.contents.contains("struct Entity\(entities - 1):") }) else {
            throw BenchmarkFailure("generation did not produce the expected files")
        }
        let validate = runner.measure { _ = SchemaLoader.load(file) }
        runner.record(.init(
            name: "generate \(entities) entities × 20 fields from the validated model (\(files.reduce(0) { $0 + $1.contents.utf8.count } / 1024) KiB of Swift)",
            seconds: generate, baselineName: "parsing and validating the same schema", baselineSeconds: validate,
            target: targetSeconds.map { "< \(BenchmarkRunner.format($0))" }, meetsTarget: targetSeconds.map { generate < $0 }))
    }

    /// A debug build (`-Onone`) of the code generated for `entities` entities, against
    /// plain `Codable` structs with the same stored properties.
    static func compileTime(_ runner: inout BenchmarkRunner, entities: Int, targetPerEntity: Double?) throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-compile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = SchemaFile(path: "generated.yaml", text: SchemaBenchmarks.generatedSchema(entities: entities, fields: 20))
        let generated = try SyncwrightGenerator.generate(file, options: GenerationOptions()).files
        let generatedFolder = folder.appending(path: "generated")
        try SyncwrightGenerator.write(generated, to: generatedFolder.path())

        // The baseline: the same properties as plain structs, in as many files.
        let plainFolder = folder.appending(path: "plain")
        try FileManager.default.createDirectory(at: plainFolder, withIntermediateDirectories: true)
        var plain: [[String]] = Array(repeating: [], count: 8)
        for entity in 0..<entities {
            var lines = ["public struct Entity\(entity): Codable, Sendable, Hashable {"]
            lines.append("    public var id: UUID")
            lines.append("    public var ownerId: UUID")
            for field in 0..<18 {
                lines.append("    public var field\(field): \(["String?", "Decimal?", "String", "Int"][field % 4])")
            }
            lines.append("}")
            plain[entity % 8].append(lines.joined(separator: "\n"))
        }
        for (index, declarations) in plain.enumerated() {
            try Data(("import Foundation\n" + declarations.joined(separator: "\n")).utf8)
                .write(to: plainFolder.appending(path: "Plain\(index).swift"))
        }

        let generatedSeconds = try compile(generatedFolder, module: "GeneratedModel", in: folder)
        let plainSeconds = try compile(plainFolder, module: "PlainModel", in: folder)
        let perEntity = generatedSeconds / Double(entities)
        runner.record(.init(
            name: "debug build of the code generated for \(entities) entities: \(String(format: "%.3f", perEntity)) s per entity",
            seconds: generatedSeconds, baselineName: "plain Codable structs with the same fields", baselineSeconds: plainSeconds,
            target: targetPerEntity.map { "< \($0) s per entity" }, meetsTarget: targetPerEntity.map { perEntity < $0 }))
    }

    /// Compiles every Swift file in `folder` as one module, debug, two jobs at a time.
    private static func compile(_ folder: URL, module: String, in workFolder: URL) throws -> Double {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let scratch = products.deletingLastPathComponent().deletingLastPathComponent()
        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path()).filter { $0.hasSuffix(".swift") }
            .sorted().map { folder.appending(path: $0).path() }
        let objects = workFolder.appending(path: "objects-\(module)")
        try FileManager.default.createDirectory(at: objects, withIntermediateDirectories: true)
        var arguments = ["swiftc", "-c", "-Onone", "-g", "-parse-as-library", "-module-name", module, "-j", "2",
                         "-I", products.appending(path: "Modules").path(),
                         "-Xcc", "-fmodule-map-file=\(scratch.appending(path: "checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap").path())",
                         "-Xcc", "-fmodule-map-file=\(repositoryRoot.appending(path: "Sources/CZlib/module.modulemap").path())"]
        #if os(macOS)
        arguments = ["xcrun"] + arguments
        #endif
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments + sources
        process.currentDirectoryURL = objects
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("compiling \(module) failed:\n\(String(decoding: output.prefix(4000), as: UTF8.self))")
        }
        return seconds
    }
}
