extension Rules {
    /// A name that is not an identifier.
    public enum InvalidName: SchemaRule {
        public static let id = "invalid-name"
        public static let summary = "names of entities, fields, subsets, parameters, units, includes and enum cases must be identifiers"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              ↓Work Order:
                fields: { id: uuid }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  state: { enum: [open, ↓in-progress] }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  WorkOrder:\n    fields: { id: uuid, state: { enum: [open, inProgress] } }\n",
        ]

        static func diagnostic(_ name: String, kind: String, at location: SourceLocation) -> Diagnostic {
            make("'\(name)' is not a valid \(kind) name; use ASCII letters, digits and underscores, starting with a letter",
                 at: location)
        }
    }

    /// A name the server, SQLite or the runtime reserves.
    public enum ReservedName: SchemaRule {
        public static let id = "reserved-name"
        public static let summary = "'version' and 'updatedAt' are server-managed fields; 'sqlite_' and 'syncwright_' tables and 'rowid' columns are reserved"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  ↓version: int
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                table: ↓sqlite_items
                fields: { id: uuid }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    table: items\n    fields: { id: uuid, revision: int }\n",
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// A name Swift can't use in generated code, even with backticks.
    public enum SwiftReservedName: SchemaRule {
        public static let id = "swift-reserved-name"
        public static let summary = "names must be usable in generated Swift: no 'Type' or 'Protocol' members, no entity or enum field named like a type generated code uses"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  ↓Type: string
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              ↓String:
                fields: { id: uuid }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  ↓data: { enum: [small, large] }
                  photo: blob?
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Protocol:
                fields: { id: uuid, class: string, default: int, where: string, self: bool, in: int }
            """,
        ]

        static func member(_ name: String, kind: String, at location: SourceLocation) -> Diagnostic {
            make("\(kind) name '\(name)' can't be used in Swift, even escaped ('.\(name)' means the metatype); rename it",
                 at: location)
        }

        static func enumType(_ field: String, typeName: String, at location: SourceLocation) -> Diagnostic {
            make("enum field '\(field)' would declare the nested type '\(typeName)', which shadows a type the generated code uses; rename the field",
                 at: location)
        }

        static func type(_ name: String, at location: SourceLocation) -> Diagnostic {
            make("entity name '\(name)' would shadow the type '\(name)' that generated Swift code uses; rename it",
                 at: location)
        }
    }

    /// Two names that become the same generated name.
    public enum NameCollision: SchemaRule {
        public static let id = "name-collision"
        public static let summary = "names must stay distinct after conversion to Swift types, SQL tables and SQL columns"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid
                  userId: string
                  ↓user_id: string
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
              ↓item:
                fields: { id: uuid }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, userId: string, ownerId: string }\n",
        ]

        static func diagnostic(
            _ kind: String, _ name: String, collidesWith other: String, as generated: String,
            at location: SourceLocation, first: SourceLocation
        ) -> Diagnostic {
            make("\(kind) '\(name)' and '\(other)' both become \(generated)", at: location,
                 notes: [.init("'\(other)' is defined here", at: first)])
        }
    }
}
