import Foundation
import Mustache

/// The templates a generation renders: the bundled ones, each replaceable by a file of
/// the same name (`NAME.mustache`) in a user's folder.
public struct TemplateSet: Sendable {
    /// The names every template set has.
    public static let names = ["header", "entities", "registry"]

    /// Each template's text by name.
    public private(set) var sources: [String: String]
    /// The names whose text came from the user's folder.
    public private(set) var overridden: [String] = []

    /// The bundled templates.
    public static var bundled: TemplateSet { TemplateSet(sources: BundledTemplates.all) }

    private init(sources: [String: String]) {
        self.sources = sources
    }

    /// The bundled templates, with those in `directory` taking their place by name.
    ///
    /// - Throws: ``GeneratorError`` when the folder can't be read or holds a template
    ///   whose name the generator doesn't use (most likely a typo).
    public static func bundled(overriddenBy directory: String?) throws -> TemplateSet {
        var set = bundled
        guard let directory else { return set }
        let url = URL(fileURLWithPath: directory)
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch {
            throw GeneratorError("can't read the templates folder '\(directory)': \(error.localizedDescription)")
        }
        for file in files.sorted() where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            guard names.contains(name) else {
                throw GeneratorError("'\(directory)/\(file)' is not a template syncwright uses; the templates are: "
                                     + names.map { "\($0).mustache" }.joined(separator: ", "))
            }
            guard let text = try? String(contentsOf: url.appendingPathComponent(file), encoding: .utf8) else {
                throw GeneratorError("can't read '\(directory)/\(file)' as UTF-8 text")
            }
            set.sources[name] = text
            set.overridden.append(name)
        }
        return set
    }

    /// A Mustache library of the templates.
    func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in sources.sorted(by: { $0.key < $1.key }) {
            do {
                try library.register(text, named: name)
            } catch {
                throw GeneratorError("template '\(name)' is not valid Mustache: \(error)")
            }
        }
        return library
    }

    /// Writes the templates as `NAME.mustache` files into `directory`, for a user to
    /// start their own from.
    public func export(to directory: String) throws -> [String] {
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var written: [String] = []
        for (name, text) in sources.sorted(by: { $0.key < $1.key }) {
            let file = url.appendingPathComponent("\(name).mustache")
            try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: file, options: .atomic)
            written.append(file.path)
        }
        return written
    }
}
