import Foundation

/// The changes that stop apps built against the old schema from syncing.
extension DiffRules {
    /// A subset old apps sync is gone.
    public enum SubsetRemoved: DiffRule {
        public static let id = "subset-removed"
        public static let summary = "a subset old apps sync must stay while they are served"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: edit(("  clerk:", "  ↓clerk:")), new: edit(("  clerk:", "  manager:"))),
        ]
        public static let passingExamples = [
            DiffExample(old: base, new: edit(("[id, title]", "[id, title, note]"))),
        ]

        static func change(_ subset: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' removed; apps built against the old schema sync it", at: location,
                 notes: [.init("keep it until those apps are retired (`syncwright-server retire`), then remove it")])
        }
    }

    /// An entity a subset kept is no longer in it.
    public enum SubsetEntityRemoved: DiffRule {
        public static let id = "subset-entity-removed"
        public static let summary = "an entity a subset keeps must stay in it while old apps are served"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: edit(("subsets:", "  Tag:\n    fields: { id: uuid }\nsubsets:")) + "\n      ↓Tag: {}\n",
                        new: edit(("subsets:", "  Tag:\n    fields: { id: uuid }\nsubsets:"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' no longer keeps '\(entity)', which old apps pull and write", at: location)
        }
    }

    /// A field old apps read is gone from their subset or from the entity.
    public enum ColumnRemoved: DiffRule {
        public static let id = "column-removed"
        public static let summary = "a field old apps select must stay selected (a rename is a removal to them)"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: edit(("      Item: {", "      ↓Item: {")), new: edit(("[id, title]", "[id, note]"))),
            DiffExample(old: edit(("title: string,", "↓title: string,")),
                        new: edit(("title: string,", "name: string,"), ("[id, title]", "[id, name]"))),
        ]
        public static let passingExamples = [
            DiffExample(old: base, new: edit((" note: string? ", " "))),
        ]

        static func change(subset: String, entity: String, field: String, renamedTo candidate: String?,
                           at location: SourceLocation) -> SchemaChange {
            var notes: [Diagnostic.Note] = []
            if let candidate {
                notes.append(.init("if '\(candidate)' is its new name, keep '\(field)' beside it until old apps are retired"))
            }
            return make("subset '\(subset)' no longer selects '\(entity).\(field)', which old apps read", at: location, notes: notes)
        }
    }

    /// An include old apps read is gone.
    public enum IncludeRemoved: DiffRule {
        public static let id = "include-removed"
        public static let summary = "an include old apps read must stay"
        public static let impact = SchemaChange.Impact.breaking
        static let owned = """
            syncwright: 1
            name: Shop
            entities:
              Owner:
                fields: { id: uuid, name: string }
              Item:
                fields: { id: uuid, owner: Owner, title: string }
            subsets:
              clerk:
                entities:
                  Owner: {}
                  Item: { include: { ownerName: owner.name } }
            """
        public static let triggeringExamples = [
            DiffExample(old: owned.replacingOccurrences(of: "{ ownerName", with: "{ ↓ownerName"),
                        new: owned.replacingOccurrences(of: "{ include: { ownerName: owner.name } }", with: "{}")),
        ]
        public static let passingExamples = [DiffExample(old: owned, new: owned)]

        static func change(subset: String, entity: String, include: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' no longer includes '\(entity).\(include)', which old apps read", at: location)
        }
    }

    /// A field old apps read now holds another type.
    public enum FieldRetyped: DiffRule {
        public static let id = "field-retyped"
        public static let summary = "a field old apps select must keep its type"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("title: string,", "↓title: int,"))),
        ]
        public static let passingExamples = [
            DiffExample(old: base, new: edit(("note: string?", "note: int?"))),
        ]

        static func change(_ entity: String, _ field: String, from old: String, to new: String, subsets: [String],
                           at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' changed from \(old) to \(new); old apps of \(list(subsets)) read it as \(old)",
                 at: location, notes: [.init("add a field with the new type beside the old one instead")])
        }
    }

    /// An include old apps read now holds another type.
    public enum IncludeRetyped: DiffRule {
        public static let id = "include-retyped"
        public static let summary = "an include old apps read must keep its type"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: IncludeRemoved.owned,
                        new: IncludeRemoved.owned.replacingOccurrences(of: "{ ownerName: owner.name }",
                                                                       with: "{ ↓ownerName: owner.id }")),
        ]
        public static let passingExamples = [
            DiffExample(old: IncludeRemoved.owned,
                        new: IncludeRemoved.owned.replacingOccurrences(of: "name: string }", with: "name: string, nick: string }")
                            .replacingOccurrences(of: "owner.name", with: "owner.nick")),
        ]

        static func change(subset: String, entity: String, include: String, from old: String, to new: String,
                           at location: SourceLocation) -> SchemaChange {
            make("include '\(entity).\(include)' of subset '\(subset)' changed from \(old) to \(new); old apps read it as \(old)",
                 at: location)
        }
    }

    /// An enum old apps read gained a case.
    public enum EnumCaseAdded: DiffRule {
        public static let id = "enum-case-added"
        public static let summary = "an enum old apps read can't gain cases: they can't decode the new ones"
        public static let impact = SchemaChange.Impact.breaking
        static let states = edit(("title: string,", "title: string, state: { enum: [open, done] },"),
                                 ("[id, title]", "[id, title, state]"))
        public static let triggeringExamples = [
            DiffExample(old: states, new: states.replacingOccurrences(of: "state: { enum: [open, done] }",
                                                                      with: "↓state: { enum: [open, done, archived] }")),
        ]
        public static let passingExamples = [
            DiffExample(old: states.replacingOccurrences(of: "[id, title, state]", with: "[id, title]"),
                        new: states.replacingOccurrences(of: "[id, title, state]", with: "[id, title]")
                            .replacingOccurrences(of: "[open, done]", with: "[open, done, archived]")),
        ]

        static func change(_ entity: String, _ field: String, cases: [String], subsets: [String],
                           at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' gained \(cases.count == 1 ? "case" : "cases") \(cases.map { "'\($0)'" }.joined(separator: ", ")), "
                 + "which old apps of \(list(subsets)) can't decode", at: location,
                 notes: [.init("ship an app that knows the case first; add it once the apps without it are retired")])
        }
    }

    /// An enum lost a case that rows and old apps may still use.
    public enum EnumCaseRemoved: DiffRule {
        public static let id = "enum-case-removed"
        public static let summary = "an enum can't lose cases: rows may hold them and old apps may write them"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: EnumCaseAdded.states,
                        new: EnumCaseAdded.states.replacingOccurrences(of: "state: { enum: [open, done] }",
                                                                       with: "↓state: { enum: [open] }")),
        ]
        public static let passingExamples = [DiffExample(old: EnumCaseAdded.states, new: EnumCaseAdded.states)]

        static func change(_ entity: String, _ field: String, cases: [String], at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' lost \(cases.count == 1 ? "case" : "cases") \(cases.map { "'\($0)'" }.joined(separator: ", ")), "
                 + "which rows may still hold and old apps may still write", at: location)
        }
    }

    /// A field old apps read may now be null.
    public enum FieldMadeOptional: DiffRule {
        public static let id = "field-made-optional"
        public static let summary = "a field old apps select can't become optional: they can't read a null"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("title: string,", "↓title: string?,"))),
        ]
        public static let passingExamples = [
            DiffExample(old: edit(("[id, title]", "[id]"), ("access: read-write", "access: read-only")),
                        new: edit(("[id, title]", "[id]"), ("access: read-write", "access: read-only"), ("title: string,", "title: string?,"))),
        ]

        static func change(_ entity: String, _ field: String, subsets: [String], at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' may now be null; old apps of \(list(subsets)) can't read a null", at: location)
        }
    }

    /// A field that could be null no longer may.
    public enum FieldMadeRequired: DiffRule {
        public static let id = "field-made-required"
        public static let summary = "an optional field can't become required: rows and old apps' writes may hold null"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("note: string?", "↓note: string"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("note: string?", "note: string?, extra: int?")))]

        static func change(_ entity: String, _ field: String, at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' may no longer be null; existing rows and old apps' writes may hold null", at: location,
                 notes: [.init("keep it optional and fill it in; the server never rewrites rows on its own")])
        }
    }

    /// A field every row must have, added to an entity that already has rows.
    public enum RequiredFieldAdded: DiffRule {
        public static let id = "required-field-added"
        public static let summary = "a field added to an existing entity needs a default or must be optional"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("note: string?", "note: string?, ↓price: int"))),
        ]
        public static let passingExamples = [
            DiffExample(old: base, new: edit(("note: string?", "note: string?, price: { type: int, default: 0 }"))),
        ]

        static func change(_ entity: String, _ field: String, at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' added without a default and may not be null; existing rows and old apps' inserts have no value for it",
                 at: location, notes: [.init("give it a default (`{ type: …, default: … }`) or make it optional")])
        }
    }

    /// An entity's key changed.
    public enum KeyChanged: DiffRule {
        public static let id = "key-changed"
        public static let summary = "an entity's key field and its type can't change"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base,
                        new: edit(("  Item:\n", "  ↓Item:\n    key: code\n"), ("{ id: uuid,", "{ code: string,"),
                                  ("[id, title]", "[code, title]"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("  Item:\n", "  Item:\n    key: id\n")))]

        static func change(_ entity: String, from old: String, to new: String, at location: SourceLocation) -> SchemaChange {
            make("the key of '\(entity)' changed from \(old) to \(new); every row's identity changes", at: location,
                 notes: [.init("add a new entity with the new key and retire the old one once no app syncs it")])
        }
    }

    /// An entity moved to another table.
    public enum TableRenamed: DiffRule {
        public static let id = "table-renamed"
        public static let summary = "an entity's table can't change: the server would start an empty one"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("  Item:\n", "  ↓Item:\n    table: items\n"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("  Item:\n", "  Item:\n    table: item\n")))]

        static func change(_ entity: String, from old: String, to new: String, at location: SourceLocation) -> SchemaChange {
            make("'\(entity)' moved from table '\(old)' to '\(new)'; the server would serve an empty table", at: location,
                 notes: [.init("rename the table in the database yourself, or keep `table: \(old)`")])
        }
    }

    /// Old apps may write less than before.
    public enum AccessNarrowed: DiffRule {
        public static let id = "access-narrowed"
        public static let summary = "a subset can't take writes away from old apps: the server would reject them"
        public static let impact = SchemaChange.Impact.breaking
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("      Item: { columns: [id, title], access: read-write }",
                                             "      ↓Item: { columns: [id, title], access: insert-only }"))),
        ]
        public static let passingExamples = [
            DiffExample(old: edit(("access: read-write", "access: read-only")), new: base),
        ]

        static func change(subset: String, entity: String, from old: AccessMode, to new: AccessMode,
                           at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' narrowed access to '\(entity)' from \(old.rawValue) to \(new.rawValue); "
                 + "old apps' writes it no longer allows are rejected", at: location)
        }
    }

    /// "subset 'a'" or "subsets 'a', 'b'".
    static func list(_ subsets: [String]) -> String {
        (subsets.count == 1 ? "subset " : "subsets ") + subsets.map { "'\($0)'" }.joined(separator: ", ")
    }
}
