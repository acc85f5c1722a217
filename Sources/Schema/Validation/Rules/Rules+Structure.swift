extension Rules {
    /// A key the schema language doesn't know, usually a misspelling.
    public enum UnknownKey: SchemaRule {
        public static let id = "unknown-key"
        public static let summary = "every key must be one the schema language defines at that place"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            ↓entites:
              Item:
                fields: { id: uuid }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                entities:
                  Item:
                    ↓colums: all
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid }\n",
        ]

        static func diagnostic(key: String, in context: String, allowed: [String], at location: SourceLocation) -> Diagnostic {
            make("unknown key '\(key)' in \(context)\(suggestion(key, among: allowed))", at: location,
                 notes: [.init("expected one of: \(allowed.joined(separator: ", "))")])
        }
    }

    /// A required key is missing.
    public enum MissingKey: SchemaRule {
        public static let id = "missing-key"
        public static let summary = "required keys must be present: syncwright, name, entities, an entity's fields, a parameter's claim and type"
        public static let triggeringExamples = [
            """
            ↓name: Shop
            entities: {}
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              ↓Item:
                table: items
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    table: items\n    fields: { id: uuid }\n",
        ]

        static func diagnostic(_ key: String, in context: String, at location: SourceLocation, advice: String? = nil) -> Diagnostic {
            make("\(context) is missing '\(key)'" + (advice.map { "; \($0)" } ?? ""), at: location)
        }
    }

    /// A value has the wrong shape: a list where a mapping belongs, and so on.
    public enum InvalidStructure: SchemaRule {
        public static let id = "invalid-structure"
        public static let summary = "each value must have the shape its key expects: a mapping, a list or a scalar"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              ↓- Item
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  tags: ↓[string]
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, tags: json }\n",
        ]

        static func diagnostic(expected: String, found: SyntaxNode, at location: SourceLocation) -> Diagnostic {
            make("expected \(expected), found \(found.kindDescription)", at: location)
        }
    }

    /// A setting has a value outside its allowed set.
    public enum InvalidValue: SchemaRule {
        public static let id = "invalid-value"
        public static let summary = "settings such as access, conflict, priority, nullable and columns must have one of their allowed values"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                entities:
                  Item:
                    access: ↓readwrite
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                entities:
                  Item:
                    priority: ↓high
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                entities:
                  Item:
                    access: read-write
                    priority: 0
            """,
        ]

        static func diagnostic(_ value: String, for setting: String, allowed: [String], at location: SourceLocation) -> Diagnostic {
            make("'\(value)' is not a valid \(setting); use \(allowed.joined(separator: ", "))"
                    + suggestion(value, among: allowed), at: location)
        }

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// The format version is not one this tool reads.
    public enum UnsupportedFormat: SchemaRule {
        public static let id = "unsupported-format"
        public static let summary = "'syncwright:' must be 1, the format this version reads"
        public static let triggeringExamples = ["syncwright: ↓2\nname: Shop\nentities: {}\n"]
        public static let passingExamples = ["syncwright: 1\nname: Shop\nentities: {}\n"]

        static func diagnostic(_ value: String, at location: SourceLocation) -> Diagnostic {
            make("unsupported format version '\(value)'; this syncwright reads format 1", at: location)
        }
    }
}
