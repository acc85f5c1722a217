extension Rules {
    /// A subset names an entity that isn't declared.
    public enum UnknownEntity: SchemaRule {
        public static let id = "unknown-entity"
        public static let summary = "a subset may only name entities declared under 'entities'"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid }
            subsets:
              clerk:
                entities:
                  ↓Custmer: {}
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Customer:\n    fields: { id: uuid }\nsubsets:\n  clerk:\n    entities:\n      Customer: {}\n",
        ]

        static func diagnostic(_ name: String, subset: String, entities: [String], at location: SourceLocation) -> Diagnostic {
            make("subset '\(subset)' names unknown entity '\(name)'\(suggestion(name, among: entities))", at: location)
        }
    }

    /// `columns` names a field the entity doesn't have.
    public enum UnknownColumn: SchemaRule {
        public static let id = "unknown-column"
        public static let summary = "'columns' (and 'except') may only name fields of the entity"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    columns: [id, ↓titel]
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    columns: [id, ↓customer]
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
                fields: { id: uuid, customer: Customer, note: string }
            subsets:
              clerk:
                entities:
                  Order:
                    columns: { except: [note] }
            """,
        ]

        static func diagnostic(_ name: String, entity: String, fields: [String], at location: SourceLocation) -> Diagnostic {
            make("'\(entity)' has no field '\(name)'\(suggestion(name, among: fields))", at: location)
        }
    }

    /// `columns` lists a field twice.
    public enum DuplicateColumn: SchemaRule {
        public static let id = "duplicate-column"
        public static let summary = "a column may be listed once"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    columns: [id, title, ↓title]
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, title: string }\nsubsets:\n  clerk:\n    entities:\n      Item:\n        columns: [id, title]\n",
        ]

        static func diagnostic(_ name: String, at location: SourceLocation, first: SourceLocation) -> Diagnostic {
            make("column '\(name)' is listed twice", at: location, notes: [.init("'\(name)' is first listed here", at: first)])
        }
    }

    /// `columns` leaves out the key.
    public enum MissingKeyColumn: SchemaRule {
        public static let id = "missing-key-column"
        public static let summary = "a subset entity's columns must include the entity's key"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    columns: ↓[title]
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    columns: { except: [↓id] }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, title: string }\nsubsets:\n  clerk:\n    entities:\n      Item:\n        columns: [id]\n",
        ]

        static func diagnostic(entity: String, key: String, at location: SourceLocation) -> Diagnostic {
            make("the columns of '\(entity)' must include its key '\(key)'", at: location)
        }
    }

    /// An include whose path doesn't lead through to-one references to a field.
    public enum InvalidInclude: SchemaRule {
        public static let id = "invalid-include"
        public static let summary = "an include must be a path through to-one references that ends in a field, such as 'customer.name'"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { customerName: customer.↓nam }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { theCustomer: ↓customer }
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { customerName: customer.name }
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// An include named like a selected column.
    public enum IncludeCollision: SchemaRule {
        public static let id = "include-collision"
        public static let summary = "an include's name may not equal a selected column's name"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, name: string, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { ↓name: customer.name }
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, name: string, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { customerName: customer.name }
            """,
        ]

        static func diagnostic(_ name: String, entity: String, at location: SourceLocation, column: SourceLocation) -> Diagnostic {
            make("include '\(name)' collides with the column '\(name)' of '\(entity)'", at: location,
                 notes: [.init("the field '\(name)' is declared here", at: column)])
        }
    }

    /// A parameter whose type can't come from a claim.
    public enum InvalidParameter: SchemaRule {
        public static let id = "invalid-parameter"
        public static let summary = "a parameter's type must be a comparable scalar type or a list of one, such as uuid or \"[string]\""
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: string }
            subsets:
              clerk:
                parameters:
                  owner: { claim: sub, type: ↓blob }
                entities:
                  Item: { rows: owner == $owner }
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: string, region: string }
            subsets:
              clerk:
                parameters:
                  owner: { claim: sub, type: string }
                  regions: { claim: regions, type: "[string]" }
                entities:
                  Item: { rows: owner == $owner and region in $regions }
            """,
        ]

        static func diagnostic(_ type: String, at location: SourceLocation) -> Diagnostic {
            let allowed = ScalarType.allCases.filter(\.canBeParameter).map(\.rawValue)
            return make("'\(type)' is not a valid parameter type; use one of \(allowed.joined(separator: ", ")), or a list such as \"[string]\""
                        + suggestion(type, among: allowed), at: location)
        }
    }

    /// A parameter no filter uses.
    public enum UnusedParameter: SchemaRule {
        public static let id = "unused-parameter"
        public static let summary = "a parameter should be used by at least one row filter of its subset"
        public static let severity = Diagnostic.Severity.warning
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                parameters:
                  ↓region: { claim: region, type: string }
                entities:
                  Item: {}
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, region: string }
            subsets:
              clerk:
                parameters:
                  region: { claim: region, type: string }
                entities:
                  Item: { rows: region == $region }
            """,
        ]

        static func diagnostic(_ name: String, subset: String, at location: SourceLocation) -> Diagnostic {
            make("parameter '\(name)' of subset '\(subset)' is never used in a row filter", at: location)
        }
    }

    /// A conflict policy on an entity the device can't write.
    public enum ConflictOnReadOnly: SchemaRule {
        public static let id = "conflict-on-read-only"
        public static let summary = "'conflict' has no effect on a read-only entity"
        public static let severity = Diagnostic.Severity.warning
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
                  Item: { conflict: ↓client-wins }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid }\nsubsets:\n  clerk:\n    entities:\n      Item: { access: read-write, conflict: client-wins }\n",
        ]

        static func diagnostic(entity: String, at location: SourceLocation) -> Diagnostic {
            make("'conflict' has no effect: '\(entity)' is read-only in this subset", at: location)
        }
    }

    public enum AttachmentSettingWithoutAttachments: SchemaRule {
        public static let id = "attachment-setting-without-attachments"
        public static let summary = "attachment settings on a subset entity that selects no attachment field"
        public static let severity = Diagnostic.Severity.warning
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, name: string }
            subsets:
              clerk:
                entities:
                  Item: { attachments: ↓eager }
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, photo: attachment? }
            subsets:
              clerk:
                entities:
                  Item: { columns: [id], maxAttachmentSize: ↓25 MB }
            """,
        ]
        public static let passingExamples = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, photo: attachment? }\nsubsets:\n  clerk:\n    entities:\n      Item: { attachments: eager, maxAttachmentSize: 25 MB }\n",
        ]

        static func diagnostic(entity: String, at location: SourceLocation) -> Diagnostic {
            make("'\(entity)' has no attachment field in this subset; its attachment settings have no effect", at: location)
        }
    }
}
