/// The whole front end in one call: parse and validate a schema file.
///
///     let result = SchemaLoader.load(try SchemaFile(contentsOf: "syncwright.yaml"))
///     if let model = result.model { … } else { print(result.diagnostics) }
public enum SchemaLoader {
    /// The outcome of loading a schema.
    public struct Result: Sendable {
        /// The validated model, when the schema has no errors.
        public var model: SchemaModel?
        /// Every diagnostic of the file, in file order.
        public var diagnostics: [Diagnostic]
    }

    /// Parses and validates `file`, collecting every diagnostic.
    public static func load(_ file: SchemaFile) -> Result {
        let parsed = SchemaParser.parse(file)
        guard let syntax = parsed.syntax else {
            return Result(model: nil, diagnostics: parsed.diagnostics.sortedByLocation())
        }
        let validated = SchemaValidator.validate(syntax)
        let diagnostics = (parsed.diagnostics + validated.diagnostics).sortedByLocation()
        return Result(model: diagnostics.containsErrors ? nil : validated.model, diagnostics: diagnostics)
    }
}

/// The version of Syncwright, printed by `syncwright --version` and written into
/// generated files.
public enum SyncwrightVersion {
    /// The current version.
    public static let current = "0.1.0"
}
