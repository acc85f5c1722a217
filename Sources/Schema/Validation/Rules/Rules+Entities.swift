extension Rules {
    /// A field type that is neither a scalar type nor a declared entity.
    public enum UnknownType: SchemaRule {
        public static let id = "unknown-type"
        public static let summary = "a field's type must be a scalar type, an enum, or the name of a declared entity"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  title: ↓strng
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid }
              Order:
                fields:
                  id: uuid
                  customer: ↓Custmer
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid }
              Order:
                fields: { id: uuid, customer: Customer, note: string? }
            """,
        ]

        static func diagnostic(_ type: String, candidates: [String], at location: SourceLocation) -> Diagnostic {
            make("unknown type '\(type)'\(suggestion(type, among: candidates))", at: location,
                 notes: [.init("scalar types are \(ScalarType.allCases.map(\.rawValue).joined(separator: ", ")); or name an entity for a reference")])
        }
    }

    /// An enum without cases, or whose cases aren't a list.
    public enum InvalidEnum: SchemaRule {
        public static let id = "invalid-enum"
        public static let summary = "an enum needs a list of at least one case"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: ↓[] }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, state: { enum: [open] } }\n",
        ]

        static func diagnostic(at location: SourceLocation) -> Diagnostic {
            make("an enum needs at least one case, as in 'enum: [open, done]'", at: location)
        }
    }

    /// An enum lists the same case twice.
    public enum DuplicateEnumCase: SchemaRule {
        public static let id = "duplicate-enum-case"
        public static let summary = "each enum case may appear once"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: [open, done, ↓open] }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, state: { enum: [open, done] } }\n",
        ]

        static func diagnostic(_ name: String, at location: SourceLocation, first: SourceLocation) -> Diagnostic {
            make("duplicate enum case '\(name)'", at: location, notes: [.init("'\(name)' is first listed here", at: first)])
        }
    }

    /// A value that is not a case of its enum.
    public enum UnknownEnumCase: SchemaRule {
        public static let id = "unknown-enum-case"
        public static let summary = "defaults and filter values of an enum field must be one of its cases"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: [open, done], default: ↓opne }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: [open, done] }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: state != ↓"closed"
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: [open, done], default: open }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: state != "done"
            """,
        ]

        static func diagnostic(_ value: String, field: String, cases: [String], at location: SourceLocation) -> Diagnostic {
            make("'\(value)' is not a case of '\(field)'\(suggestion(value, among: cases))", at: location,
                 notes: [.init("the cases are \(cases.joined(separator: ", "))")])
        }
    }

    /// A default that doesn't fit its field's type.
    public enum InvalidDefault: SchemaRule {
        public static let id = "invalid-default"
        public static let summary = "a default must be a value of the field's type (or null for a nullable field)"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  discontinued: { type: bool, default: ↓maybe }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, discontinued: { type: bool, default: false } }\n",
        ]

        static func diagnostic(_ value: String, type: String, advice: String = "", at location: SourceLocation) -> Diagnostic {
            make("default '\(value)' is not a valid \(type)\(advice)", at: location)
        }
    }

    /// An entity without its key field.
    public enum MissingKeyField: SchemaRule {
        public static let id = "missing-key-field"
        public static let summary = "an entity's key ('key:' or the default 'id') must be one of its fields"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              ↓Item:
                fields: { sku: string }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                key: ↓skew
                fields: { sku: string }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    key: sku\n    fields: { sku: string }\n",
        ]

        static func diagnostic(entity: String, key: String, fields: [String], at location: SourceLocation) -> Diagnostic {
            make("entity '\(entity)' has no key field '\(key)'\(suggestion(key, among: fields))", at: location,
                 notes: [.init("add '\(key): uuid' to its fields, or name another field with 'key:'")])
        }
    }

    /// A nullable key.
    public enum NullableKey: SchemaRule {
        public static let id = "nullable-key"
        public static let summary = "an entity's key can't be nullable"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  ↓id: uuid?
            """,
        ]
        public static let passingExamples = ["syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid }\n"]

        static func diagnostic(entity: String, key: String, at location: SourceLocation) -> Diagnostic {
            make("key field '\(key)' of '\(entity)' can't be nullable", at: location)
        }
    }

    /// A key of a type that can't identify rows.
    public enum UnsupportedKeyType: SchemaRule {
        public static let id = "unsupported-key-type"
        public static let summary = "an entity's key must be a uuid, string or int field, not a reference or enum"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  ↓id: double
            """,
        ]
        public static let passingExamples = ["syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: int }\n"]

        static func diagnostic(entity: String, key: String, type: String, at location: SourceLocation) -> Diagnostic {
            make("key field '\(key)' of '\(entity)' has type '\(type)'; a key must be uuid, string or int", at: location)
        }
    }

    /// References that form a cycle through non-null fields.
    public enum ReferenceCycle: SchemaRule {
        public static let id = "reference-cycle"
        public static let summary = "non-null references may not form a cycle, or no row of the cycle could be inserted first"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Person:
                fields:
                  id: uuid
                  ↓partner: Person
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Team:
                fields:
                  id: uuid
                  ↓lead: Member
              Member:
                fields:
                  id: uuid
                  team: Team
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Team:
                fields:
                  id: uuid
                  lead: Member?
              Member:
                fields:
                  id: uuid
                  team: Team
            """,
        ]

        static func diagnostic(cycle: [String], at location: SourceLocation, hops: [Diagnostic.Note]) -> Diagnostic {
            make("non-null references form a cycle \(cycle.joined(separator: " → ")); make one of them nullable",
                 at: location, notes: hops)
        }
    }
}
