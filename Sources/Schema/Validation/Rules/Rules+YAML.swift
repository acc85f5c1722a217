extension Rules {
    /// The file is not valid UTF-8.
    public enum InvalidUTF8: SchemaRule {
        public static let id = "invalid-utf8"
        public static let summary = "the file must be UTF-8 text"
        /// `«FF»` stands for a raw byte in examples.
        public static let triggeringExamples = ["syncwright: 1\nname: ↓«FF»Shop\n"]
        public static let passingExamples = ["syncwright: 1\nname: Shop\nentities:\n  Item:\n    doc: Smørrebrød ✓\n    fields: { id: uuid }\n"]

        static func diagnostic(at location: SourceLocation) -> Diagnostic {
            make("the file is not valid UTF-8; save it as UTF-8", at: location)
        }
    }

    /// The file holds no YAML document.
    public enum EmptySchema: SchemaRule {
        public static let id = "empty-schema"
        public static let summary = "the file must hold a schema, not nothing or only comments"
        public static let triggeringExamples = ["↓# nothing here yet\n", "↓"]
        public static let passingExamples = ["syncwright: 1\nname: Shop\nentities: {}\n"]

        static func diagnostic(at location: SourceLocation) -> Diagnostic {
            make("the schema is empty; start with 'syncwright: 1', 'name:' and 'entities:'", at: location)
        }
    }

    /// The file is not well-formed YAML.
    public enum YAMLSyntax: SchemaRule {
        public static let id = "yaml-syntax"
        public static let summary = "the file must be well-formed YAML"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: "Shop↓
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string
            ↓
            """,
            """
            syncwright: 1
            name: Shop
              entities↓: {}
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: "Shop"
            entities:
              Item:
                fields: { id: uuid, title: string }
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) -> Diagnostic {
            make(message, at: location, notes: notes)
        }
    }

    /// A tab is used for indentation.
    public enum YAMLTabIndentation: SchemaRule {
        public static let id = "yaml-tab-indentation"
        public static let summary = "indentation must use spaces; YAML forbids tabs there"
        public static let triggeringExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields:\n↓\tid: uuid\n",
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields:\n      id: uuid\n",
        ]

        static func diagnostic(at location: SourceLocation) -> Diagnostic {
            make("tab character used for indentation; indent with spaces", at: location)
        }
    }

    /// A mapping has the same key twice.
    public enum YAMLDuplicateKey: SchemaRule {
        public static let id = "yaml-duplicate-key"
        public static let summary = "a key may appear only once in a mapping (entities, fields, subsets, parameters, includes)"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  title: string
                  ↓title: string?
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, ↓id: string }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, title: string }\n",
        ]

        static func diagnostic(key: String, at location: SourceLocation, first: SourceLocation) -> Diagnostic {
            var notes: [Diagnostic.Note] = []
            if location != first { notes.append(.init("'\(key)' is first defined here", at: first)) }
            return make("duplicate key '\(key)'", at: location, notes: notes)
        }
    }

    /// The document nests too deeply.
    public enum YAMLTooDeep: SchemaRule {
        public static let id = "yaml-too-deep"
        public static let summary = "the document may nest at most 200 levels deep"
        public static let triggeringExamples = [
            "syncwright: 1\nname: " + String(repeating: "[", count: 198) + "↓" + String(repeating: "[", count: 12)
                + String(repeating: "]", count: 210) + "\n",
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, tags: { type: json, doc: \"[[[x]]]\" } }\n",
        ]

        static func diagnostic(limit: Int, at location: SourceLocation) -> Diagnostic {
            make("the document nests more than \(limit) levels deep", at: location)
        }
    }

    /// Aliases expand the document beyond what a schema can sensibly be.
    public enum YAMLTooLarge: SchemaRule {
        public static let id = "yaml-too-large"
        public static let summary = "anchors and aliases may not expand the document past 2,000,000 nodes"
        public static let triggeringExamples = [
            """
            ↓a: &a [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
            e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
            f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: &fields { id: uuid, title: string }
              Other:
                fields: *fields
            """,
        ]

        static func diagnostic(limit: Int, at location: SourceLocation) -> Diagnostic {
            make("anchors and aliases expand the document past \(limit) nodes", at: location)
        }
    }
}
