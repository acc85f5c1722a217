import SyncwrightSchema

extension GeneratorSettings {
    /// What reading a settings file produced.
    public struct ParseResult: Sendable {
        /// The settings, when the file had no errors.
        public var settings: GeneratorSettings?
        /// Every problem found, located in the settings file.
        public var diagnostics: [Diagnostic]
    }

    /// The settings stage: a settings file, read with the schema's YAML reader, becomes
    /// ``GeneratorSettings`` or located diagnostics (``SettingsRules``). An empty file
    /// is valid and says nothing.
    public static func parse(_ file: SchemaFile) -> ParseResult {
        let document = YAMLDocument.parse(file)
        guard let root = document.root else {
            // A file of blanks and comments says nothing; that is not an error here.
            let onlyEmpty = document.diagnostics.allSatisfy { $0.ruleID == Rules.EmptySchema.id }
            return ParseResult(settings: onlyEmpty ? GeneratorSettings() : nil, diagnostics: onlyEmpty ? [] : document.diagnostics)
        }
        var diagnostics = document.diagnostics
        var settings = GeneratorSettings()
        if root.scalar?.isNull == true { return ParseResult(settings: settings, diagnostics: diagnostics) }
        guard let pairs = root.pairs else {
            diagnostics.append(SettingsRules.Structure.diagnostic(
                "the settings file must be a mapping of 'subset:' and 'access:', not \(root.kindDescription)", at: root.location))
            return ParseResult(settings: nil, diagnostics: diagnostics)
        }
        // A key given twice is reported by the YAML reader (`yaml-duplicate-key`).
        for pair in pairs {
            guard let key = pair.key.text else {
                diagnostics.append(SettingsRules.Structure.diagnostic("a settings key must be a plain name", at: pair.key.location))
                continue
            }
            switch key {
            case "subset":
                guard let name = pair.value.scalar, !name.isNull, !name.text.isEmpty else {
                    diagnostics.append(SettingsRules.InvalidValue.diagnostic(
                        "'subset' must name one subset of the schema", at: pair.value.location))
                    continue
                }
                settings.subset = Located(name.text, at: pair.value.location)
            case "access":
                guard let text = pair.value.scalar?.text, let level = GenerationOptions.AccessLevel(rawValue: text) else {
                    let shown = pair.value.scalar.map { "'\($0.text)'" } ?? pair.value.kindDescription
                    diagnostics.append(SettingsRules.InvalidValue.diagnostic(
                        "'access' must be 'public' or 'internal', not \(shown)", at: pair.value.location))
                    continue
                }
                settings.access = Located(level, at: pair.value.location)
            default:
                diagnostics.append(SettingsRules.UnknownKey.diagnostic(key: key, at: pair.key.location))
            }
        }
        return ParseResult(settings: diagnostics.containsErrors ? nil : settings, diagnostics: diagnostics)
    }
}
