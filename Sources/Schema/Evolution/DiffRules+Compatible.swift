import Foundation

/// The changes apps built against the old schema keep syncing across.
extension DiffRules {
    /// A new entity.
    public enum EntityAdded: DiffRule {
        public static let id = "entity-added"
        public static let summary = "a new entity: old apps don't know it and aren't sent it"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("subsets:", "  ↓Tag:\n    fields: { id: uuid }\nsubsets:"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("[id, title]", "[id, title, note]")))]

        static func change(_ entity: String, at location: SourceLocation) -> SchemaChange {
            make("entity '\(entity)' added", at: location)
        }
    }

    /// An entity no old app keeps is gone from the schema.
    public enum EntityRemoved: DiffRule {
        public static let id = "entity-removed"
        public static let summary = "an entity no subset kept removed: the server keeps its table and rows"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("subsets:", "  ↓Tag:\n    fields: { id: uuid }\nsubsets:")), new: base),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("title: string,", "title: string, size: int?,")))]

        static func change(_ entity: String, table: String, at location: SourceLocation) -> SchemaChange {
            make("entity '\(entity)' removed; no old app keeps it, and the server leaves table '\(table)' as it is", at: location)
        }
    }

    /// A new optional or defaulted field.
    public enum FieldAdded: DiffRule {
        public static let id = "field-added"
        public static let summary = "a new optional or defaulted field: the server fills it in for old apps' inserts"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("note: string?", "note: string?, ↓size: int?"))),
            DiffExample(old: base, new: edit(("note: string?", "note: string?, ↓size: { type: int, default: 1 }"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("note: string?", "note: int?")))]

        static func change(_ entity: String, _ field: Field, at location: SourceLocation) -> SchemaChange {
            let filled = field.defaultValue.map { "its default \($0)" } ?? "null"
            return make("'\(entity).\(field.name)' added; rows old apps insert get \(filled)", at: location)
        }
    }

    /// A field no old app selects is gone.
    public enum FieldRemoved: DiffRule {
        public static let id = "field-removed"
        public static let summary = "a field no subset selected removed: the server keeps its column"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("note: string?", "↓note: string?")), new: edit((", note: string?", ""))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("note: string?", "note: string?, size: int?")))]

        static func change(_ entity: String, _ field: String, column: String, at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' removed; no old app selects it, and the server keeps column '\(column)'", at: location,
                 notes: [.init("the column must be nullable or have a default in the database for new inserts to succeed")])
        }
    }

    /// A field no old app selects changed.
    public enum UnselectedFieldChanged: DiffRule {
        public static let id = "unselected-field-changed"
        public static let summary = "a field no subset selected changed its type or became optional"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("note: string?", "↓note: int?"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: edit(("note: string?", "note: string?, size: int?")))]

        static func change(_ entity: String, _ field: String, from old: String, to new: String, at location: SourceLocation) -> SchemaChange {
            make("'\(entity).\(field)' changed from \(old) to \(new); no old app selects it", at: location,
                 notes: [.init("the server converts the column's values in place and refuses to start if one doesn't convert")])
        }
    }

    /// A field's default changed.
    public enum DefaultChanged: DiffRule {
        public static let id = "default-changed"
        public static let summary = "a field's default changed: rows inserted from now on get the new one"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("title: string,", "title: { type: string, default: x },")),
                        new: edit(("title: string,", "↓title: { type: string, default: y },"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(_ entity: String, _ field: String, from old: SchemaValue?, to new: SchemaValue?,
                           at location: SourceLocation) -> SchemaChange {
            make("the default of '\(entity).\(field)' changed from \(old.map(\.description) ?? "none") to \(new.map(\.description) ?? "none")",
                 at: location)
        }
    }

    /// A new subset.
    public enum SubsetAdded: DiffRule {
        public static let id = "subset-added"
        public static let summary = "a new subset: only new apps use it"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: base + "\n  ↓manager:\n    entities:\n      Item: {}\n"),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(_ subset: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' added", at: location)
        }
    }

    /// A subset keeps a new entity.
    public enum SubsetEntityAdded: DiffRule {
        public static let id = "subset-entity-added"
        public static let summary = "a subset keeps another entity: old apps aren't sent it"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("subsets:", "  Tag:\n    fields: { id: uuid }\nsubsets:")),
                        new: edit(("subsets:", "  Tag:\n    fields: { id: uuid }\nsubsets:")) + "\n      ↓Tag: {}\n"),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' now keeps '\(entity)'; old apps aren't sent it", at: location)
        }
    }

    /// A subset selects more fields.
    public enum ColumnAdded: DiffRule {
        public static let id = "column-added"
        public static let summary = "a subset selects another field: old apps are sent their columns only"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("      Item: {", "      ↓Item: {"), ("[id, title]", "[id, title, note]"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, fields: [String], at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' now also selects \(fields.map { "'\(entity).\($0)'" }.joined(separator: ", ")); "
                 + "old apps are sent their columns only", at: location)
        }
    }

    /// A new include.
    public enum IncludeAdded: DiffRule {
        public static let id = "include-added"
        public static let summary = "a new include: old apps aren't sent it"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: IncludeRemoved.owned.replacingOccurrences(of: "{ include: { ownerName: owner.name } }", with: "{}"),
                        new: IncludeRemoved.owned.replacingOccurrences(of: "{ ownerName", with: "{ ↓ownerName")),
        ]
        public static let passingExamples = [DiffExample(old: IncludeRemoved.owned, new: IncludeRemoved.owned)]

        static func change(subset: String, entity: String, include: String, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' now includes '\(entity).\(include)'; old apps aren't sent it", at: location)
        }
    }

    /// An include reads another field of the same type.
    public enum IncludePathChanged: DiffRule {
        public static let id = "include-path-changed"
        public static let summary = "an include reads another field of the same type"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: IncludeRetyped.passingExamples[0].old,
                        new: IncludeRetyped.passingExamples[0].new.replacingOccurrences(of: "{ ownerName", with: "{ ↓ownerName")),
        ]
        public static let passingExamples = [DiffExample(old: IncludeRemoved.owned, new: IncludeRemoved.owned)]

        static func change(subset: String, entity: String, include: String, from old: FieldPath, to new: FieldPath,
                           at location: SourceLocation) -> SchemaChange {
            make("include '\(entity).\(include)' of subset '\(subset)' now reads \(new) instead of \(old)", at: location)
        }
    }

    /// Apps may write more than before.
    public enum AccessWidened: DiffRule {
        public static let id = "access-widened"
        public static let summary = "a subset allows more writes: old apps don't make them"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("access: read-write", "access: read-only")),
                        new: edit(("      Item: {", "      ↓Item: {"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, from old: AccessMode, to new: AccessMode,
                           at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' widened access to '\(entity)' from \(old.rawValue) to \(new.rawValue)", at: location)
        }
    }

    /// A subset keeps other rows.
    public enum FilterChanged: DiffRule {
        public static let id = "filter-changed"
        public static let summary = "a subset keeps other rows: the server applies the new filter to every app"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("      Item: { columns: [id, title], access: read-write }",
                                             "      ↓Item: { columns: [id, title], access: read-write, rows: title != \"\" }"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, from old: FilterExpression?, to new: FilterExpression?,
                           filedAgain: Bool, at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' keeps other rows of '\(entity)': \(new.map { "`\($0)`" } ?? "every row") "
                 + "instead of \(old.map { "`\($0)`" } ?? "every row")", at: location,
                 notes: [.init(filedAgain
                     ? "the filter's bucket ids change form: every app, old or new, downloads the entity's unit again"
                     : "every app, old or new, receives the difference: removes of the rows that leave, the rows that join")])
        }
    }

    /// A subset's `allow:` changed.
    public enum AllowChanged: DiffRule {
        public static let id = "allow-changed"
        public static let summary = "who may use a subset changed: the server applies it to every app"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: edit(("  clerk:\n", "  clerk:\n    parameters: { role: { claim: role, type: string } }\n")),
                        new: edit(("  clerk:\n", "  ↓clerk:\n    parameters: { role: { claim: role, type: string } }\n    allow: $role == \"clerk\"\n"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, from old: SubsetCondition?, to new: SubsetCondition?,
                           at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' now allows \(new.map { "`\($0)`" } ?? "every token") instead of \(old.map { "`\($0)`" } ?? "every token")",
                 at: location)
        }
    }

    /// A subset's parameters changed.
    public enum ParametersChanged: DiffRule {
        public static let id = "parameters-changed"
        public static let summary = "a subset's parameters changed: tokens must carry the claims the new ones read"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = AllowChanged.triggeringExamples.map {
            DiffExample(old: base, new: $0.old.replacingOccurrences(of: "  clerk:", with: "  ↓clerk:"))
        }
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, from old: [String], to new: [String], at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' now takes parameters \(new.isEmpty ? "none" : new.joined(separator: ", ")) "
                 + "instead of \(old.isEmpty ? "none" : old.joined(separator: ", "))", at: location)
        }
    }

    /// How conflicts are resolved changed.
    public enum ConflictPolicyChanged: DiffRule {
        public static let id = "conflict-policy-changed"
        public static let summary = "a subset resolves conflicts another way"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("      Item: { columns: [id, title], access: read-write }",
                                             "      ↓Item: { columns: [id, title], access: read-write, conflict: client-wins }"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, from old: ConflictPolicy, to new: ConflictPolicy,
                           at location: SourceLocation) -> SchemaChange {
            make("subset '\(subset)' resolves conflicts on '\(entity)' by \(new.rawValue) instead of \(old.rawValue)", at: location)
        }
    }

    /// A subset entity's sync unit or priority changed.
    public enum UnitChanged: DiffRule {
        public static let id = "unit-changed"
        public static let summary = "an entity syncs in another unit or priority: old apps keep their own"
        public static let impact = SchemaChange.Impact.compatible
        public static let triggeringExamples = [
            DiffExample(old: base, new: edit(("      Item: { columns: [id, title], access: read-write }",
                                             "      ↓Item: { columns: [id, title], access: read-write, priority: 3 }"))),
        ]
        public static let passingExamples = [DiffExample(old: base, new: base)]

        static func change(subset: String, entity: String, from old: (String, Int), to new: (String, Int),
                           at location: SourceLocation) -> SchemaChange {
            make("'\(entity)' of subset '\(subset)' now syncs in unit '\(new.0)' at priority \(new.1) "
                 + "instead of '\(old.0)' at \(old.1)", at: location)
        }
    }

    /// How devices get an entity's attachment files, or how large they may be, changed.
    public enum AttachmentsChanged: DiffRule {
        public static let id = "attachments-changed"
        public static let summary = "an entity's attachments download another way or have another size cap"
        public static let impact = SchemaChange.Impact.compatible
        static let withPhoto = edit(("{ id: uuid, title: string, note: string? }", "{ id: uuid, title: string, photo: attachment? }"),
                                    ("columns: [id, title]", "columns: [id, title, photo]"))
        public static let triggeringExamples = [
            DiffExample(old: withPhoto, new: withPhoto.replacingOccurrences(
                of: "      Item: { columns: [id, title, photo], access: read-write }",
                with: "      ↓Item: { columns: [id, title, photo], access: read-write, attachments: eager, maxAttachmentSize: 10 MB }")),
        ]
        public static let passingExamples = [DiffExample(old: withPhoto, new: withPhoto)]

        static func change(subset: String, entity: String, from old: (AttachmentDownload, Int64?), to new: (AttachmentDownload, Int64?),
                           at location: SourceLocation) -> SchemaChange {
            func text(_ setting: (AttachmentDownload, Int64?)) -> String {
                setting.0.rawValue + (setting.1.map { " up to \($0) bytes" } ?? "")
            }
            return make("'\(entity)' of subset '\(subset)' now gets its attachments \(text(new)) instead of \(text(old)); "
                        + "old apps download as before, and the server applies the new setting to every app", at: location)
        }
    }
}
