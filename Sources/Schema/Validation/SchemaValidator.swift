/// The validate stage: ``SchemaSyntax`` → ``SchemaModel``.
///
/// It resolves every name and type, runs every rule, and collects all diagnostics of
/// the file. A model is produced only when there is no error.
public struct SchemaValidator {
    /// What the validate stage produced.
    public struct Result: Sendable {
        /// The model, when the schema has no errors.
        public var model: SchemaModel?
        /// Every diagnostic, in the order found.
        public var diagnostics: [Diagnostic]
    }

    var diagnostics: [Diagnostic] = []
    /// Every entity by name, resolved as far as its errors allow.
    var entities: [String: Entity] = [:]
    let syntax: SchemaSyntax

    private init(syntax: SchemaSyntax) {
        self.syntax = syntax
    }

    /// Validates a parsed schema.
    public static func validate(_ syntax: SchemaSyntax) -> Result {
        var validator = SchemaValidator(syntax: syntax)
        return validator.run()
    }

    private mutating func run() -> Result {
        checkHeader()
        let resolvedEntities = resolveEntities()
        checkReferenceCycles(resolvedEntities)
        let subsets = syntax.subsets.map { resolveSubset($0) }
        checkSubsetNames()
        guard !diagnostics.containsErrors else { return Result(model: nil, diagnostics: diagnostics) }
        var model = SchemaModel(
            file: syntax.source.path, formatVersion: 1, name: syntax.name?.value ?? "",
            entities: resolvedEntities, subsets: subsets.compactMap { $0 }, schemaHash: ""
        )
        model.schemaHash = model.computeHash()
        model.sourceText = syntax.source.text
        return Result(model: model, diagnostics: diagnostics)
    }

    // MARK: - Header

    private mutating func checkHeader() {
        if let version = syntax.formatVersion, version.value != "1" {
            diagnostics.append(Rules.UnsupportedFormat.diagnostic(version.value, at: version.location))
        }
        if let name = syntax.name {
            if !NameConversion.isIdentifier(name.value) {
                diagnostics.append(Rules.InvalidName.diagnostic(name.value, kind: "schema", at: name.location))
            } else if SwiftNames.reservedTypeNames.contains(NameConversion.upperCamelCase(name.value)) {
                diagnostics.append(Rules.SwiftReservedName.type(name.value, at: name.location))
            }
        }
    }

    // MARK: - Entities

    private mutating func resolveEntities() -> [Entity] {
        var typeNames = NameRegistry(kind: "entity")
        var tableNames = NameRegistry(kind: "entity")
        // Pass 1: names and key types, so references can take their target's key type.
        var keyTypes: [String: FieldType] = [:]
        for entity in syntax.entities {
            let name = entity.name
            if !NameConversion.isIdentifier(name.value) {
                diagnostics.append(Rules.InvalidName.diagnostic(name.value, kind: "entity", at: name.location))
            } else if SwiftNames.reservedTypeNames.contains(NameConversion.upperCamelCase(name.value)) {
                diagnostics.append(Rules.SwiftReservedName.type(name.value, at: name.location))
            }
            diagnostics += typeNames.register(
                NameConversion.upperCamelCase(name.value), for: name, as: "the Swift type '\(NameConversion.upperCamelCase(name.value))'")
            let table = entity.table ?? Located(NameConversion.snakeCase(name.value), at: name.location)
            checkTableName(table)
            diagnostics += tableNames.register(table.value.lowercased(), for: name, as: "the table '\(table.value)'")
            let keyName = entity.key?.value ?? "id"
            if let keyField = entity.fields.first(where: { $0.name.value == keyName }),
               case .named(let typeName)? = keyField.type,
               let scalar = ScalarType(rawValue: typeName.value) {
                keyTypes[name.value] = .scalar(scalar)
            }
        }
        // Generated names must not collide with other entities either.
        var entitiesByTypeName: [String: EntitySyntax] = [:]
        for entity in syntax.entities {
            entitiesByTypeName[NameConversion.upperCamelCase(entity.name.value)] = entitiesByTypeName[NameConversion.upperCamelCase(entity.name.value)] ?? entity
        }
        for entity in syntax.entities {
            let syncName = NameConversion.upperCamelCase(entity.name.value) + "Sync"
            if let other = entitiesByTypeName[syncName] {
                diagnostics.append(Rules.NameCollision.diagnostic(
                    "entity", other.name.value, collidesWith: entity.name.value,
                    as: "the Swift type '\(syncName)' (the Sync action of '\(entity.name.value)')",
                    at: other.name.location, first: entity.name.location))
            }
        }
        // Pass 2: fields and keys.
        var resolved: [Entity] = []
        let entityNames = Set(syntax.entities.map(\.name.value))
        for entitySyntax in syntax.entities {
            let entity = resolveEntity(entitySyntax, keyTypes: keyTypes, entityNames: entityNames)
            if entities[entity.name] == nil { entities[entity.name] = entity }
            resolved.append(entity)
        }
        return resolved
    }

    private mutating func checkTableName(_ table: Located<String>) {
        let lowered = table.value.lowercased()
        if table.value.isEmpty || table.value.contains(where: { $0 == "\"" || $0.isNewline }) {
            diagnostics.append(Rules.InvalidName.diagnostic(table.value, kind: "table", at: table.location))
        } else if lowered.hasPrefix("sqlite_") || lowered.hasPrefix("syncwright_") {
            diagnostics.append(Rules.ReservedName.diagnostic(
                "table name '\(table.value)' is reserved: 'sqlite_' belongs to SQLite and 'syncwright_' to the sync runtime",
                at: table.location))
        }
    }

    private mutating func resolveEntity(
        _ syntax: EntitySyntax, keyTypes: [String: FieldType], entityNames: Set<String>
    ) -> Entity {
        let entityName = syntax.name.value
        var fields: [Field] = []
        var propertyNames = NameRegistry(kind: "field")
        var columnNames = NameRegistry(kind: "field")
        for fieldSyntax in syntax.fields {
            let name = fieldSyntax.name
            guard checkFieldName(name) else { continue }
            var field = Field(name: name.value, columnName: NameConversion.snakeCase(name.value),
                              type: .scalar(.string), isNullable: fieldSyntax.isNullable,
                              documentation: fieldSyntax.documentation?.value, location: name.location)
            var typeIsKnown = true
            switch fieldSyntax.type {
            case .named(let typeName)?:
                if let scalar = ScalarType(rawValue: typeName.value) {
                    field.type = .scalar(scalar)
                } else if entityNames.contains(typeName.value) {
                    field.name = name.value + "Id"
                    field.columnName = NameConversion.snakeCase(field.name)
                    field.reference = Reference(relationName: name.value, targetEntity: typeName.value)
                    field.type = keyTypes[typeName.value] ?? .scalar(.uuid)
                    typeIsKnown = keyTypes[typeName.value] != nil
                } else {
                    let candidates = ScalarType.allCases.map(\.rawValue) + self.syntax.entities.map(\.name.value)
                    diagnostics.append(Rules.UnknownType.diagnostic(typeName.value, candidates: candidates, at: typeName.location))
                    typeIsKnown = false
                }
            case .enumeration(let cases, let location)?:
                field.type = .enumeration(checkEnumCases(cases, at: location))
                let nestedName = NameConversion.upperCamelCase(name.value)
                if SwiftNames.reservedNestedTypeNames.contains(nestedName) {
                    diagnostics.append(Rules.SwiftReservedName.enumType(name.value, typeName: nestedName, at: name.location))
                }
            case nil:
                typeIsKnown = false
            }
            if typeIsKnown, let defaultSyntax = fieldSyntax.defaultValue {
                field.defaultValue = checkDefault(defaultSyntax, for: field)
            }
            // One collision per pair: the column check only speaks when the properties differ.
            let propertyCollisions = propertyNames.register(
                field.name, for: Located(name.value, at: name.location), as: "the Swift property '\(field.name)'")
            let columnCollisions = columnNames.register(
                field.columnName.lowercased(), for: Located(name.value, at: name.location), as: "the column '\(field.columnName)'")
            diagnostics += propertyCollisions.isEmpty ? columnCollisions : propertyCollisions
            fields.append(field)
        }
        let keyName = syntax.key?.value ?? "id"
        if let key = fields.first(where: { $0.name == keyName && $0.reference == nil }) {
            if key.isNullable {
                diagnostics.append(Rules.NullableKey.diagnostic(entity: entityName, key: keyName, at: key.location))
            }
            if case .scalar(let scalar) = key.type, scalar.canBeKey {
            } else {
                diagnostics.append(Rules.UnsupportedKeyType.diagnostic(
                    entity: entityName, key: keyName, type: key.type.description, at: key.location))
            }
        } else if let reference = fields.first(where: { ($0.name == keyName || $0.reference?.relationName == keyName) && $0.reference != nil }) {
            diagnostics.append(Rules.UnsupportedKeyType.diagnostic(
                entity: entityName, key: keyName, type: "reference to \(reference.reference!.targetEntity)", at: reference.location))
        } else if !syntax.fields.contains(where: { $0.name.value == keyName }) {
            // (A key field whose own name was rejected has its diagnostic already.)
            diagnostics.append(Rules.MissingKeyField.diagnostic(
                entity: entityName, key: keyName, fields: fields.map(\.name), at: syntax.key?.location ?? syntax.name.location))
        }
        return Entity(
            name: entityName,
            tableName: syntax.table?.value ?? NameConversion.snakeCase(entityName),
            keyFieldName: keyName,
            fields: fields,
            documentation: syntax.documentation?.value,
            location: syntax.name.location
        )
    }

    /// Checks a field's name; false when it is unusable.
    private mutating func checkFieldName(_ name: Located<String>) -> Bool {
        guard NameConversion.isIdentifier(name.value) else {
            diagnostics.append(Rules.InvalidName.diagnostic(name.value, kind: "field", at: name.location))
            return false
        }
        let column = NameConversion.snakeCase(name.value)
        if ["version", "updated_at"].contains(column) {
            diagnostics.append(Rules.ReservedName.diagnostic(
                "'\(name.value)' is managed by the server on every entity; choose another field name", at: name.location))
            return false
        }
        if ["rowid", "oid", "_rowid_"].contains(column) {
            diagnostics.append(Rules.ReservedName.diagnostic(
                "'\(name.value)' is reserved by SQLite for its row ids; choose another field name", at: name.location))
            return false
        }
        if SwiftNames.reservedMemberNames.contains(name.value) {
            diagnostics.append(Rules.SwiftReservedName.member(name.value, kind: "field", at: name.location))
            return false
        }
        return true
    }

    private mutating func checkEnumCases(_ cases: [Located<String>], at location: SourceLocation) -> [String] {
        if cases.isEmpty {
            diagnostics.append(Rules.InvalidEnum.diagnostic(at: location))
        }
        var seen: [String: SourceLocation] = [:]
        var result: [String] = []
        for item in cases {
            if let first = seen[item.value] {
                diagnostics.append(Rules.DuplicateEnumCase.diagnostic(item.value, at: item.location, first: first))
                continue
            }
            seen[item.value] = item.location
            if !NameConversion.isIdentifier(item.value) {
                diagnostics.append(Rules.InvalidName.diagnostic(item.value, kind: "enum case", at: item.location))
            } else if SwiftNames.reservedMemberNames.contains(item.value) {
                diagnostics.append(Rules.SwiftReservedName.member(item.value, kind: "enum case", at: item.location))
            }
            result.append(item.value)
        }
        return result
    }

    private mutating func checkDefault(_ syntax: Located<SyntaxNode.Scalar>, for field: Field) -> SchemaValue? {
        let value = ValueChecker.defaultValue(syntax.value, for: field.type)
        if value == .null {
            if field.isNullable { return .null }
            diagnostics.append(Rules.InvalidDefault.diagnostic(
                "null", type: field.type.description, advice: "; '\(field.name)' is not nullable", at: syntax.location))
            return nil
        }
        switch ValueChecker.check(value, against: field.type) {
        case nil:
            return value
        case .wrongKind(let expected)?:
            diagnostics.append(Rules.InvalidDefault.diagnostic(
                syntax.value.text, type: field.type.description, advice: "; expected \(expected)", at: syntax.location))
        case .unknownCase(let text, let cases)?:
            diagnostics.append(Rules.UnknownEnumCase.diagnostic(text, field: field.name, cases: cases, at: syntax.location))
        }
        return nil
    }

    // MARK: - Reference cycles

    /// Reports each cycle of non-null references once, at its first reference in file order.
    private mutating func checkReferenceCycles(_ entities: [Entity]) {
        var order: [String: Int] = [:]
        for (index, entity) in entities.enumerated() where order[entity.name] == nil {
            order[entity.name] = index
        }
        let edges: [String: [Field]] = Dictionary(entities.map { entity in
            (entity.name, entity.fields.filter { $0.reference != nil && !$0.isNullable && order[$0.reference!.targetEntity] != nil })
        }, uniquingKeysWith: { first, _ in first })
        var reported: Set<String> = []
        for entity in entities where !reported.contains(entity.name) {
            // Breadth-first search for the shortest path back to `entity`.
            var previous: [String: (String, Field)] = [:]
            var queue = [entity.name]
            var head = 0
            var closing: (String, Field)?
            search: while head < queue.count {
                let current = queue[head]
                head += 1
                for field in edges[current] ?? [] {
                    let target = field.reference!.targetEntity
                    if target == entity.name {
                        closing = (current, field)
                        break search
                    }
                    if previous[target] == nil, !reported.contains(target), order[target]! > order[entity.name]! {
                        previous[target] = (current, field)
                        queue.append(target)
                    }
                }
            }
            guard let (last, lastField) = closing else { continue }
            var hops: [(String, Field)] = [(last, lastField)]
            var cursor = last
            while cursor != entity.name, let step = previous[cursor] {
                hops.insert(step, at: 0)
                cursor = step.0
            }
            let names = hops.map(\.0) + [entity.name]
            let notes = hops.dropFirst().map { owner, field in
                Diagnostic.Note("'\(owner).\(field.reference!.relationName)' references '\(field.reference!.targetEntity)'",
                                at: field.location)
            }
            diagnostics.append(Rules.ReferenceCycle.diagnostic(cycle: names, at: hops[0].1.location, hops: Array(notes)))
            reported.formUnion(names)
        }
    }
}

/// Registers names that must stay distinct after a conversion, and reports collisions
/// at the later name with a note at the earlier one.
struct NameRegistry {
    let kind: String
    private var firstByConverted: [String: Located<String>] = [:]

    init(kind: String) {
        self.kind = kind
    }

    mutating func register(_ converted: String, for name: Located<String>, as generated: String) -> [Diagnostic] {
        if let first = firstByConverted[converted] {
            return [Rules.NameCollision.diagnostic(kind, name.value, collidesWith: first.value, as: generated,
                                                   at: name.location, first: first.location)]
        }
        firstByConverted[converted] = name
        return []
    }
}
