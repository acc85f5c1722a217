/// The parse stage: a ``SchemaFile`` becomes a located ``SchemaSyntax``.
///
/// Parsing never throws. YAML errors end it early (the syntax is nil); shape errors
/// are reported and the rest of the file is still read.
public enum SchemaParser {
    /// What the parse stage produced.
    public struct Result: Sendable {
        /// The syntax, unless the file isn't readable YAML.
        public var syntax: SchemaSyntax?
        /// Everything found wrong so far.
        public var diagnostics: [Diagnostic]
    }

    /// Parses a schema file.
    public static func parse(_ file: SchemaFile) -> Result {
        let document = YAMLDocumentParser().parse(file)
        guard let root = document.root else {
            return Result(syntax: nil, diagnostics: document.diagnostics)
        }
        var reader = SchemaSyntaxReader(source: document.source)
        let syntax = reader.read(root)
        return Result(syntax: syntax, diagnostics: document.diagnostics + reader.diagnostics)
    }
}
