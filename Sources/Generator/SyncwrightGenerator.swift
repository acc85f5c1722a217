import Foundation
import SyncwrightCore
import SyncwrightSchema

/// A file the generator produces.
public struct GeneratedFile: Sendable, Hashable {
    /// The file's name, without folders.
    public var name: String
    /// The Swift source.
    public var contents: String
}

/// The generator's one entry point, running the stages in order: parse → validate →
/// translate (``RenderContext``) → render (templates) → files. Each stage is public
/// too, so tests and tools can run any of them alone.
public enum SyncwrightGenerator {
    /// What a generation produced.
    public struct Result: Sendable {
        /// The schema's diagnostics, exactly as `syncwright validate` reports them.
        public var diagnostics: [Diagnostic]
        /// The files, when the schema had no errors.
        public var files: [GeneratedFile]
    }

    /// Generates the files for one subset of a schema file.
    ///
    /// - Throws: ``GeneratorError`` when the subset is missing or ambiguous, or a
    ///   template is invalid. Schema problems are not thrown: they are in the result.
    public static func generate(
        _ file: SchemaFile, options: GenerationOptions, templates: TemplateSet = .bundled
    ) throws -> Result {
        let loaded = SchemaLoader.load(file)
        guard let model = loaded.model else { return Result(diagnostics: loaded.diagnostics, files: []) }
        let context = try RenderContext(model: model, options: options)
        return Result(diagnostics: loaded.diagnostics, files: try render(context, options: options, templates: templates))
    }

    /// The render stage: the fixed set of files for a context — one registry file and
    /// ``GenerationOptions/entityFileCount`` entity files (empty ones hold only the header).
    public static func render(
        _ context: RenderContext, options: GenerationOptions, templates: TemplateSet = .bundled
    ) throws -> [GeneratedFile] {
        let library = try templates.library()
        @Sendable func render(_ object: any Sendable, _ template: String) throws -> String {
            guard let text = library.render(object, withTemplate: template) else {
                throw GeneratorError("template '\(template)' is missing")
            }
            return Self.tidy(text + Self.runtimeAPIVersionCheck)
        }
        var files = [GeneratedFile(name: GeneratedFileContract.registryFileName(prefix: options.filePrefix),
                                   contents: try render(context, "registry"))]
        // The entity files are independent: render them on all cores.
        let shards = context.shards
        let results = Locked([Swift.Result<String, any Error>](repeating: .success(""), count: shards.count))
        DispatchQueue.concurrentPerform(iterations: shards.count) { index in
            let rendered = Swift.Result { try render(shards[index], "entities") }
            results.withValue { $0[index] = rendered }
        }
        for (shard, result) in zip(shards, results.withValue { $0 }) {
            files.append(GeneratedFile(name: GeneratedFileContract.entityFileName(shard.index, prefix: options.filePrefix),
                                       contents: try result.get()))
        }
        return files
    }

    /// The version of the runtime API the generated code is written against.
    public static let runtimeAPIVersion = 2

    /// Appended by the generator (not a template, so an overriding template can't drop it)
    /// to every file: the file fails to compile against a runtime that doesn't speak
    /// ``runtimeAPIVersion``, naming the mismatch, instead of misbehaving.
    static let runtimeAPIVersionCheck = """

        // Fails to compile when the Syncwright runtime doesn't speak the API this file was
        // generated for (version \(runtimeAPIVersion)): update the runtime or the generator so they match.
        import Syncwright
        private typealias _SyncwrightRuntimeAPIVersionCheck = SyncwrightRuntimeAPIVersion\(runtimeAPIVersion)

        """

    /// The names of the files a generation with these options writes, whatever the schema.
    public static func fileNames(options: GenerationOptions) -> [String] {
        GeneratedFileContract.outputFileNames(prefix: options.filePrefix, entityFiles: options.entityFileCount)
    }

    /// Trailing spaces removed, runs of blank lines folded to one, one final newline.
    /// Works on UTF-8 bytes: the output of a large schema is megabytes.
    static func tidy(_ text: String) -> String {
        let newline = UInt8(ascii: "\n")
        let space = UInt8(ascii: " ")
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        var line: [UInt8] = []
        var previousWasBlank = true
        func flush() {
            while line.last == space { line.removeLast() }
            if line.isEmpty {
                if !previousWasBlank { output.append(newline) }
                previousWasBlank = true
            } else {
                output.append(contentsOf: line)
                output.append(newline)
                previousWasBlank = false
            }
            line.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            if byte == newline { flush() } else { line.append(byte) }
        }
        flush()
        while output.count >= 2, output[output.count - 1] == newline, output[output.count - 2] == newline {
            output.removeLast()
        }
        if output.last != newline { output.append(newline) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Writes `files` into `directory`, leaving a file untouched when its contents
    /// haven't changed (so builds that depend on it don't rerun).
    ///
    /// - Returns: The names of the files written.
    @discardableResult
    public static func write(_ files: [GeneratedFile], to directory: String) throws -> [String] {
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var written: [String] = []
        for file in files {
            let target = url.appendingPathComponent(file.name)
            let data = Data(file.contents.utf8)
            if let existing = FileManager.default.contents(atPath: target.path), existing == data { continue }
            try data.write(to: target, options: .atomic)
            written.append(file.name)
        }
        return written
    }
}
