import SyncwrightSchema

/// The rules of the settings file (`syncwright-config.yaml`), built like the schema's
/// ``Rules``: an id, a summary and examples, where `↓` marks the reported position.
/// YAML problems are the schema's YAML rules (`yaml-syntax`, …).
public enum SettingsRules {
    /// Every settings rule.
    public static let all: [any SchemaRule.Type] = [UnknownKey.self, InvalidValue.self, Structure.self]

    /// A key other than `subset` and `access`.
    public enum UnknownKey: SchemaRule {
        public static let id = "settings-unknown-key"
        public static let summary = "the settings file holds only 'subset:' and 'access:'"
        public static let triggeringExamples = ["subset: owner\n↓acces: public\n"]
        public static let passingExamples = ["subset: owner\naccess: public\n"]

        static func diagnostic(key: String, at location: SourceLocation) -> Diagnostic {
            let known = ["subset", "access"]
            let closest = known.first { known in
                zip(known, key).filter { $0 != $1 }.count + abs(known.count - key.count) <= 2
            }
            return Diagnostic(severity, "unknown settings key '\(key)'"
                + (closest.map { "; did you mean '\($0)'?" } ?? "; expected 'subset' or 'access'"),
                at: location, rule: id)
        }
    }

    /// A value that isn't one the key takes.
    public enum InvalidValue: SchemaRule {
        public static let id = "settings-invalid-value"
        public static let summary = "'access' is 'public' or 'internal'; 'subset' names a subset"
        public static let triggeringExamples = ["access: ↓private\n", "subset: ↓[a, b]\n"]
        public static let passingExamples = ["access: internal\n", "subset: technician\n"]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            Diagnostic(severity, message, at: location, rule: id)
        }
    }

    /// A file that isn't a mapping of plain keys.
    public enum Structure: SchemaRule {
        public static let id = "settings-structure"
        public static let summary = "the settings file is a mapping of plain keys"
        public static let triggeringExamples = ["↓- subset: owner\n", "↓[subset]: owner\n"]
        public static let passingExamples = ["# nothing to set\n", "subset: a\n"]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            Diagnostic(severity, message, at: location, rule: id)
        }
    }
}
