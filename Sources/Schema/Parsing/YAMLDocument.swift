/// A YAML file read into a located tree, for the project's other YAML files (the
/// generator's settings): the same reading, limits and YAML diagnostics as a schema's.
public enum YAMLDocument {
    /// What reading a YAML file produced.
    public struct Result: Sendable {
        /// The located tree, unless the file isn't readable YAML or is empty.
        public var root: SyntaxNode?
        /// The YAML problems found (rules `invalid-utf8`, `yaml-syntax`, `empty-schema`, …).
        public var diagnostics: [Diagnostic]
    }

    /// Reads `file` into a located tree.
    public static func parse(_ file: SchemaFile) -> Result {
        let document = YAMLDocumentParser().parse(file)
        return Result(root: document.root, diagnostics: document.diagnostics)
    }
}
