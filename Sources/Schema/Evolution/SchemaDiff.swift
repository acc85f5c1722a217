/// Compares two validated schemas and classifies every difference for the apps already
/// in the field: the second stage of `syncwright diff`, after both files went through
/// the validator, and the check the server runs before it keeps serving an old version.
///
///     let changes = SchemaDiff.compare(old: released, new: candidate)
///     if changes.containsBreakingChanges { … }
///
/// The rules are those of ``DiffRules``. An app built against `old` reads the fields
/// its subsets select and the includes they name, and writes what its access allows;
/// a change is breaking when the server, serving `new`, can no longer give it exactly
/// that. Changes come breaking first, each kind in file order.
public enum SchemaDiff {
    /// Every difference between `old` and `new`.
    public static func compare(old: SchemaModel, new: SchemaModel) -> [SchemaChange] {
        var comparison = Comparison(old: old, new: new)
        comparison.compareEntities()
        comparison.compareSubsets()
        return comparison.changes.enumerated().sorted { lhs, rhs in
            if lhs.element.impact != rhs.element.impact { return lhs.element.impact > rhs.element.impact }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// The fields of the old schema that apps read, with the subsets that read them.
    struct Selection {
        private var subsetsByField: [String: [String]] = [:]

        init(_ schema: SchemaModel) {
            for subset in schema.subsets {
                for entity in subset.entities {
                    for column in entity.columns {
                        add("\(entity.entityName).\(column)", subset.name)
                    }
                    for include in entity.includes {
                        add("\(include.path.fieldEntity).\(include.path.fieldName)", subset.name)
                    }
                }
            }
        }

        private mutating func add(_ key: String, _ subset: String) {
            if subsetsByField[key]?.contains(subset) != true { subsetsByField[key, default: []].append(subset) }
        }

        /// The subsets whose apps read the field, in file order; empty when none does.
        func subsets(reading entity: String, _ field: String) -> [String] {
            subsetsByField["\(entity).\(field)"] ?? []
        }
    }

    private struct Comparison {
        let old: SchemaModel
        let new: SchemaModel
        let selection: Selection
        var changes: [SchemaChange] = []

        init(old: SchemaModel, new: SchemaModel) {
            self.old = old
            self.new = new
            self.selection = Selection(old)
        }

        mutating func compareEntities() {
            for oldEntity in old.entities {
                guard let newEntity = new.entity(named: oldEntity.name) else {
                    let kept = old.subsets.contains { $0.entity(named: oldEntity.name) != nil }
                    if !kept {
                        changes.append(DiffRules.EntityRemoved.change(oldEntity.name, table: oldEntity.tableName, at: oldEntity.location))
                    }
                    continue
                }
                compare(oldEntity, newEntity)
            }
            for newEntity in new.entities where old.entity(named: newEntity.name) == nil {
                changes.append(DiffRules.EntityAdded.change(newEntity.name, at: newEntity.location))
            }
        }

        private mutating func compare(_ oldEntity: Entity, _ newEntity: Entity) {
            let name = newEntity.name
            if oldEntity.tableName != newEntity.tableName {
                changes.append(DiffRules.TableRenamed.change(name, from: oldEntity.tableName, to: newEntity.tableName,
                                                             at: newEntity.location))
            }
            let oldKey = oldEntity.keyField
            let newKey = newEntity.keyField
            if oldKey.name != newKey.name || oldKey.type.storage != newKey.type.storage {
                changes.append(DiffRules.KeyChanged.change(
                    name, from: "'\(oldKey.name)' \(oldKey.type)", to: "'\(newKey.name)' \(newKey.type)", at: newEntity.location))
            }
            for oldField in oldEntity.fields where oldField.name != oldKey.name {
                guard let newField = newEntity.fields.first(where: { $0.name == oldField.name }) else {
                    if selection.subsets(reading: name, oldField.name).isEmpty {
                        changes.append(DiffRules.FieldRemoved.change(name, oldField.name, column: oldField.columnName,
                                                                     at: oldField.location))
                    }
                    continue
                }
                compare(oldField, newField, of: name)
            }
            for newField in newEntity.fields where !oldEntity.fields.contains(where: { $0.name == newField.name }) {
                if newField.name == newKey.name { continue }
                if newField.isNullable || (newField.defaultValue ?? .null) != .null {
                    changes.append(DiffRules.FieldAdded.change(name, newField, at: newField.location))
                } else {
                    changes.append(DiffRules.RequiredFieldAdded.change(name, newField.name, at: newField.location))
                }
            }
        }

        private mutating func compare(_ oldField: Field, _ newField: Field, of entity: String) {
            let readers = selection.subsets(reading: entity, oldField.name)
            let location = newField.location
            let oldType = typeText(oldField)
            let newType = typeText(newField)
            switch (oldField.type, newField.type) {
            case (.enumeration(let oldCases), .enumeration(let newCases)):
                let added = newCases.filter { !oldCases.contains($0) }
                let removed = oldCases.filter { !newCases.contains($0) }
                if !removed.isEmpty {
                    changes.append(DiffRules.EnumCaseRemoved.change(entity, newField.name, cases: removed, at: location))
                }
                if !added.isEmpty {
                    if readers.isEmpty {
                        changes.append(DiffRules.UnselectedFieldChanged.change(entity, newField.name, from: oldType, to: newType, at: location))
                    } else {
                        changes.append(DiffRules.EnumCaseAdded.change(entity, newField.name, cases: added, subsets: readers, at: location))
                    }
                }
            default:
                if oldField.type != newField.type || oldField.reference?.targetEntity != newField.reference?.targetEntity {
                    if readers.isEmpty {
                        changes.append(DiffRules.UnselectedFieldChanged.change(entity, newField.name, from: oldType, to: newType, at: location))
                    } else {
                        changes.append(DiffRules.FieldRetyped.change(entity, newField.name, from: oldType, to: newType,
                                                                     subsets: readers, at: location))
                    }
                    return
                }
            }
            if !oldField.isNullable, newField.isNullable {
                if readers.isEmpty {
                    changes.append(DiffRules.UnselectedFieldChanged.change(entity, newField.name, from: oldType, to: newType, at: location))
                } else {
                    changes.append(DiffRules.FieldMadeOptional.change(entity, newField.name, subsets: readers, at: location))
                }
            } else if oldField.isNullable, !newField.isNullable {
                changes.append(DiffRules.FieldMadeRequired.change(entity, newField.name, at: location))
            }
            if oldField.defaultValue != newField.defaultValue {
                changes.append(DiffRules.DefaultChanged.change(entity, newField.name, from: oldField.defaultValue,
                                                               to: newField.defaultValue, at: location))
            }
        }

        mutating func compareSubsets() {
            for oldSubset in old.subsets {
                guard let newSubset = new.subset(named: oldSubset.name) else {
                    changes.append(DiffRules.SubsetRemoved.change(oldSubset.name, at: oldSubset.location))
                    continue
                }
                compare(oldSubset, newSubset)
            }
            for newSubset in new.subsets where old.subset(named: newSubset.name) == nil {
                changes.append(DiffRules.SubsetAdded.change(newSubset.name, at: newSubset.location))
            }
        }

        private mutating func compare(_ oldSubset: Subset, _ newSubset: Subset) {
            let name = newSubset.name
            func parameters(_ subset: Subset) -> [String] {
                subset.parameters.map { "$\($0.name) (claim \($0.claim), \($0.isList ? "[\($0.type.rawValue)]" : $0.type.rawValue))" }.sorted()
            }
            if parameters(oldSubset) != parameters(newSubset) {
                changes.append(DiffRules.ParametersChanged.change(subset: name, from: parameters(oldSubset), to: parameters(newSubset),
                                                                  at: newSubset.location))
            }
            if oldSubset.allow?.description != newSubset.allow?.description {
                changes.append(DiffRules.AllowChanged.change(subset: name, from: oldSubset.allow, to: newSubset.allow,
                                                             at: newSubset.location))
            }
            for oldEntry in oldSubset.entities {
                guard let newEntry = newSubset.entity(named: oldEntry.entityName) else {
                    changes.append(DiffRules.SubsetEntityRemoved.change(subset: name, entity: oldEntry.entityName, at: oldEntry.location))
                    continue
                }
                compare(oldEntry, newEntry, in: name)
            }
            for newEntry in newSubset.entities where oldSubset.entity(named: newEntry.entityName) == nil {
                changes.append(DiffRules.SubsetEntityAdded.change(subset: name, entity: newEntry.entityName, at: newEntry.location))
            }
        }

        private mutating func compare(_ oldEntry: SubsetEntity, _ newEntry: SubsetEntity, in subset: String) {
            let entity = newEntry.entityName
            let oldEntity = old.entity(named: entity)
            let newEntity = new.entity(named: entity)
            for column in oldEntry.columns where !newEntry.columns.contains(column) {
                if oldEntity?.keyFieldName == column { continue }  // reported as key-changed
                let removedField = oldEntity?.fields.first { $0.name == column }
                let stillDeclared = newEntity?.fields.contains { $0.name == column } ?? false
                let candidate = stillDeclared ? nil : newEntity?.fields.first { field in
                    !(oldEntity?.fields.contains { $0.name == field.name } ?? true)
                        && field.type.storage == removedField?.type.storage
                }?.name
                let location = stillDeclared ? oldEntry.location : (removedField?.location ?? oldEntry.location)
                changes.append(DiffRules.ColumnRemoved.change(subset: subset, entity: entity, field: column,
                                                              renamedTo: candidate, at: location))
            }
            let added = newEntry.columns.filter { !oldEntry.columns.contains($0) && $0 != newEntity?.keyFieldName }
            if !added.isEmpty {
                changes.append(DiffRules.ColumnAdded.change(subset: subset, entity: entity, fields: added, at: newEntry.location))
            }
            for oldInclude in oldEntry.includes {
                guard let newInclude = newEntry.includes.first(where: { $0.name == oldInclude.name }) else {
                    changes.append(DiffRules.IncludeRemoved.change(subset: subset, entity: entity, include: oldInclude.name,
                                                                   at: oldInclude.location))
                    continue
                }
                let oldType = pathTypeText(oldInclude.path)
                let newType = pathTypeText(newInclude.path)
                if oldType != newType {
                    changes.append(DiffRules.IncludeRetyped.change(subset: subset, entity: entity, include: newInclude.name,
                                                                   from: oldType, to: newType, at: newInclude.location))
                } else if oldInclude.path.description != newInclude.path.description {
                    changes.append(DiffRules.IncludePathChanged.change(subset: subset, entity: entity, include: newInclude.name,
                                                                       from: oldInclude.path, to: newInclude.path, at: newInclude.location))
                }
            }
            for newInclude in newEntry.includes where !oldEntry.includes.contains(where: { $0.name == newInclude.name }) {
                changes.append(DiffRules.IncludeAdded.change(subset: subset, entity: entity, include: newInclude.name,
                                                             at: newInclude.location))
            }
            if oldEntry.access != newEntry.access {
                let narrowed = (oldEntry.access.allowsInsert && !newEntry.access.allowsInsert)
                    || (oldEntry.access.allowsUpdate && !newEntry.access.allowsUpdate)
                if narrowed {
                    changes.append(DiffRules.AccessNarrowed.change(subset: subset, entity: entity, from: oldEntry.access,
                                                                   to: newEntry.access, at: newEntry.location))
                } else {
                    changes.append(DiffRules.AccessWidened.change(subset: subset, entity: entity, from: oldEntry.access,
                                                                  to: newEntry.access, at: newEntry.location))
                }
            }
            if oldEntry.rowFilter?.description != newEntry.rowFilter?.description {
                changes.append(DiffRules.FilterChanged.change(subset: subset, entity: entity, from: oldEntry.rowFilter,
                                                              to: newEntry.rowFilter, filedAgain: UnitDownload.filing(oldEntry, newEntry) == .again,
                                                              at: newEntry.location))
            }
            if oldEntry.conflictPolicy != newEntry.conflictPolicy {
                changes.append(DiffRules.ConflictPolicyChanged.change(subset: subset, entity: entity, from: oldEntry.conflictPolicy,
                                                                      to: newEntry.conflictPolicy, at: newEntry.location))
            }
            if oldEntry.unit != newEntry.unit || oldEntry.priority != newEntry.priority {
                changes.append(DiffRules.UnitChanged.change(subset: subset, entity: entity, from: (oldEntry.unit, oldEntry.priority),
                                                            to: (newEntry.unit, newEntry.priority), at: newEntry.location))
            }
            if oldEntry.attachmentDownload != newEntry.attachmentDownload || oldEntry.maxAttachmentSize != newEntry.maxAttachmentSize {
                changes.append(DiffRules.AttachmentsChanged.change(
                    subset: subset, entity: entity, from: (oldEntry.attachmentDownload, oldEntry.maxAttachmentSize),
                    to: (newEntry.attachmentDownload, newEntry.maxAttachmentSize), at: newEntry.location))
            }
        }

        private func typeText(_ field: Field) -> String {
            let type = field.reference.map { "reference to \($0.targetEntity)" } ?? field.type.description
            return type + (field.isNullable ? "?" : "")
        }

        private func pathTypeText(_ path: FieldPath) -> String {
            path.type.description + (path.isNullable ? "?" : "")
        }
    }
}
