import Foundation

extension SchemaValidator {
    // MARK: - Subsets

    mutating func resolveSubset(_ syntax: SubsetSyntax) -> Subset? {
        let subsetName = syntax.name.value
        if !NameConversion.isIdentifier(subsetName) {
            diagnostics.append(Rules.InvalidName.diagnostic(subsetName, kind: "subset", at: syntax.name.location))
        }
        var parameters: [String: Parameter] = [:]
        var orderedParameters: [Parameter] = []
        for parameterSyntax in syntax.parameters {
            if let parameter = resolveParameter(parameterSyntax) {
                parameters[parameter.name] = parameter
                orderedParameters.append(parameter)
            }
        }
        let declaredNames = syntax.parameters.map(\.name.value)
        var usedParameters: Set<String> = []
        var subsetEntities: [SubsetEntity] = []
        for entitySyntax in syntax.entities {
            guard let entity = entities[entitySyntax.name.value] else {
                diagnostics.append(Rules.UnknownEntity.diagnostic(
                    entitySyntax.name.value, subset: subsetName, entities: self.syntax.entities.map(\.name.value),
                    at: entitySyntax.name.location))
                continue
            }
            if let resolved = resolveSubsetEntity(
                entitySyntax, entity: entity, subsetName: subsetName, parameters: parameters,
                declaredParameterNames: declaredNames, usedParameters: &usedParameters
            ) {
                subsetEntities.append(resolved)
            }
        }
        var allow: SubsetCondition?
        if let allowSyntax = syntax.allow {
            do {
                if let parsed = try ConditionParser.parse(allowSyntax.text) {
                    var checker = ConditionTypeChecker(
                        subsetName: subsetName, parameters: parameters, declaredParameterNames: declaredNames, expression: allowSyntax)
                    allow = checker.check(parsed)
                    diagnostics += checker.diagnostics
                    usedParameters.formUnion(allow?.parameterNames ?? [])
                    if allow == nil && checker.diagnostics.isEmpty {
                        // Parameters that failed to resolve were reported where declared.
                        usedParameters.formUnion(declaredNames)
                    }
                }
            } catch {
                diagnostics.append(Rules.AllowSyntax.diagnostic(error.message, at: allowSyntax.location(ofOffset: error.offset)))
                usedParameters.formUnion(declaredNames)
            }
        }
        for parameter in syntax.parameters where !usedParameters.contains(parameter.name.value) {
            diagnostics.append(Rules.UnusedParameter.diagnostic(
                parameter.name.value, subset: subsetName, at: parameter.name.location))
        }
        if syntax.allow == nil {
            // Entities whose filter didn't check are left out: their errors come first.
            let written = Dictionary(syntax.entities.map { ($0.name.value, $0.rows != nil) }, uniquingKeysWith: { $0 || $1 })
            for entity in subsetEntities {
                let dependsOnCaller = !(entity.rowFilter?.parameterNames.isEmpty ?? true)
                let filterFailed = entity.rowFilter == nil && written[entity.entityName] == true
                if !dependsOnCaller && !filterFailed {
                    diagnostics.append(Rules.SubsetOpenToAll.diagnostic(entity: entity.entityName, subset: subsetName, at: entity.location))
                }
            }
        }
        return Subset(name: subsetName, parameters: orderedParameters, allow: allow, entities: subsetEntities,
                      location: syntax.name.location)
    }

    private mutating func resolveParameter(_ syntax: ParameterSyntax) -> Parameter? {
        let name = syntax.name
        if !NameConversion.isIdentifier(name.value) {
            diagnostics.append(Rules.InvalidName.diagnostic(name.value, kind: "parameter", at: name.location))
            return nil
        }
        guard let claim = syntax.claim, let typeText = syntax.type else { return nil }
        var text = Substring(typeText.value.trimmingCharacters(in: .whitespaces))
        var isList = false
        if text.hasPrefix("["), text.hasSuffix("]") {
            isList = true
            text = text.dropFirst().dropLast()
        }
        guard let type = ScalarType(rawValue: text.trimmingCharacters(in: .whitespaces)), type.canBeParameter else {
            diagnostics.append(Rules.InvalidParameter.diagnostic(typeText.value, at: typeText.location))
            return nil
        }
        return Parameter(name: name.value, claim: claim.value, type: type, isList: isList, location: name.location)
    }

    private mutating func resolveSubsetEntity(
        _ syntax: SubsetEntitySyntax,
        entity: Entity,
        subsetName: String,
        parameters: [String: Parameter],
        declaredParameterNames: [String],
        usedParameters: inout Set<String>
    ) -> SubsetEntity? {
        let columns = resolveColumns(syntax.columns, of: entity, at: syntax.name.location)
        let includes = syntax.includes.compactMap { resolveInclude($0, of: entity, columns: columns) }

        let access = choice(syntax.access, for: "access mode", default: AccessMode.readOnly)
        var conflict = ConflictPolicy.serverWins
        if let conflictSyntax = syntax.conflict {
            if let policy = ConflictPolicy(rawValue: conflictSyntax.value) {
                conflict = policy
                if !access.allowsWrites, syntax.access.map({ AccessMode(rawValue: $0.value) != nil }) ?? true {
                    diagnostics.append(Rules.ConflictOnReadOnly.diagnostic(entity: entity.name, at: conflictSyntax.location))
                }
            } else {
                diagnostics.append(Rules.InvalidValue.diagnostic(
                    conflictSyntax.value, for: "conflict policy", allowed: ConflictPolicy.allCases.map(\.rawValue),
                    at: conflictSyntax.location))
            }
        }
        var unit = entity.name
        if let unitSyntax = syntax.unit {
            if NameConversion.isIdentifier(unitSyntax.value) {
                unit = unitSyntax.value
            } else {
                diagnostics.append(Rules.InvalidName.diagnostic(unitSyntax.value, kind: "unit", at: unitSyntax.location))
            }
        }
        var priority = 1
        if let prioritySyntax = syntax.priority {
            if let value = Int(prioritySyntax.value), (-1_000_000...1_000_000).contains(value) {
                priority = value
            } else {
                diagnostics.append(Rules.InvalidValue.diagnostic(
                    "'\(prioritySyntax.value)' is not a valid priority; use an integer, lower syncs first",
                    at: prioritySyntax.location))
            }
        }

        let attachmentDownload = choice(syntax.attachments, for: "attachment download", default: AttachmentDownload.onDemand)
        var maxAttachmentSize: Int64?
        if let sizeSyntax = syntax.maxAttachmentSize {
            if let size = Self.byteCount(sizeSyntax.value), size > 0, size <= SyncAttachment.maximumSize {
                maxAttachmentSize = size
            } else {
                diagnostics.append(Rules.InvalidValue.diagnostic(
                    "'\(sizeSyntax.value)' is not a valid attachment size; write bytes or a size such as 512 KB, 25 MB, 2 GB",
                    at: sizeSyntax.location))
            }
        }
        if let columns, let setting = syntax.attachments ?? syntax.maxAttachmentSize,
           !entity.fields.contains(where: { columns.contains($0.name) && $0.type == .scalar(.attachment) }) {
            diagnostics.append(Rules.AttachmentSettingWithoutAttachments.diagnostic(entity: entity.name, at: setting.location))
        }

        var filter: FilterExpression?
        if let rows = syntax.rows {
            let parsed: ParsedFilter?
            do {
                parsed = try FilterParser.parse(rows.text)
            } catch {
                diagnostics.append(Rules.FilterSyntax.diagnostic(error.message, at: rows.location(ofOffset: error.offset)))
                return nil
            }
            if let parsed {
                var checker = FilterTypeChecker(
                    root: entity, resolver: FieldPathResolver(entities: entities), subsetName: subsetName,
                    parameters: parameters, declaredParameterNames: declaredParameterNames, expression: rows)
                filter = checker.check(parsed)
                diagnostics += checker.diagnostics
                if let filter {
                    diagnostics += bucketDiagnostics(filter, entity: entity, paths: checker.paths, rows: rows)
                }
                usedParameters.formUnion(Self.parameterNames(in: parsed))
                if access.allowsWrites, let columns {
                    for (path, location) in checker.paths where !columns.contains(path.firstFieldName) {
                        diagnostics.append(Rules.WriteFilterNotEvaluable.diagnostic(
                            entity: entity.name, access: access, field: path.firstFieldName, at: location,
                            accessLocation: syntax.access?.location))
                    }
                }
            }
        }
        guard let columns else { return nil }
        return SubsetEntity(
            entityName: entity.name, columns: columns, rowFilter: filter, includes: includes, access: access,
            conflictPolicy: conflict, unit: unit, priority: priority, attachmentDownload: attachmentDownload,
            maxAttachmentSize: maxAttachmentSize, location: syntax.name.location)
    }

    /// One of a setting's allowed values as written, or `fallback` when none is written;
    /// an `invalid-value` error (and `fallback`) for anything else.
    private mutating func choice<Value: RawRepresentable & CaseIterable>(
        _ syntax: Located<String>?, for setting: String, default fallback: Value
    ) -> Value where Value.RawValue == String {
        guard let syntax else { return fallback }
        guard let value = Value(rawValue: syntax.value) else {
            diagnostics.append(Rules.InvalidValue.diagnostic(
                syntax.value, for: setting, allowed: Value.allCases.map(\.rawValue), at: syntax.location))
            return fallback
        }
        return value
    }

    /// Bytes written as a number with an optional unit: `B`, `KB`, `MB`, `GB` (powers of
    /// 1024); nil for anything else.
    static func byteCount(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 13, let number = Int64(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        let multiplier: Int64? = switch unit {
        case "", "B": 1
        case "KB": 1 << 10
        case "MB": 1 << 20
        case "GB": 1 << 30
        default: nil
        }
        guard let multiplier else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// Every parameter named in a parsed filter, declared or not.
    private static func parameterNames(in filter: ParsedFilter) -> [String] {
        switch filter {
        case .and(let operands), .or(let operands): operands.flatMap { parameterNames(in: $0) }
        case .not(let operand): parameterNames(in: operand)
        case .comparison(_, _, _, .parameter(let name, _)), .membership(_, _, .parameter(let name, _)): [name]
        default: []
        }
    }

    /// The selected field names in the entity's order, or nil when the list is unusable.
    private mutating func resolveColumns(
        _ syntax: SubsetEntitySyntax.ColumnsSyntax?, of entity: Entity, at entityLocation: SourceLocation
    ) -> [String]? {
        let fieldNames = entity.fields.map(\.name)
        func check(_ items: [Located<String>]) -> Set<String>? {
            var seen: [String: SourceLocation] = [:]
            var valid = true
            for item in items {
                if let first = seen[item.value] {
                    diagnostics.append(Rules.DuplicateColumn.diagnostic(item.value, at: item.location, first: first))
                    continue
                }
                seen[item.value] = item.location
                if fieldNames.contains(item.value) { continue }
                valid = false
                if entity.serverManagedFields.contains(where: { $0.name == item.value }) {
                    diagnostics.append(Rules.UnknownColumn.make(
                        "'\(item.value)' is server-managed and always synced; leave it out of columns", at: item.location))
                } else if let reference = entity.reference(named: item.value) {
                    diagnostics.append(Rules.UnknownColumn.make(
                        "'\(entity.name)' has no field '\(item.value)'; did you mean '\(reference.name)'?", at: item.location))
                } else {
                    diagnostics.append(Rules.UnknownColumn.diagnostic(
                        item.value, entity: entity.name, fields: fieldNames, at: item.location))
                }
            }
            return valid ? Set(seen.keys) : nil
        }
        switch syntax {
        case nil, .all?:
            return fieldNames
        case .list(let items, let location)?:
            guard let selected = check(items) else { return nil }
            if !selected.contains(entity.keyFieldName) {
                diagnostics.append(Rules.MissingKeyColumn.diagnostic(entity: entity.name, key: entity.keyFieldName, at: location))
                return nil
            }
            return fieldNames.filter { selected.contains($0) }
        case .except(let items, _)?:
            guard let excluded = check(items) else { return nil }
            if let keyItem = items.first(where: { $0.value == entity.keyFieldName }) {
                diagnostics.append(Rules.MissingKeyColumn.diagnostic(entity: entity.name, key: entity.keyFieldName, at: keyItem.location))
                return nil
            }
            return fieldNames.filter { !excluded.contains($0) }
        }
    }

    private mutating func resolveInclude(
        _ syntax: SubsetEntitySyntax.IncludeSyntax, of entity: Entity, columns: [String]?
    ) -> Include? {
        let name = syntax.name
        if !NameConversion.isIdentifier(name.value) {
            diagnostics.append(Rules.InvalidName.diagnostic(name.value, kind: "include", at: name.location))
            return nil
        }
        if SwiftNames.reservedMemberNames.contains(name.value) {
            diagnostics.append(Rules.SwiftReservedName.member(name.value, kind: "include", at: name.location))
            return nil
        }
        if columns?.contains(name.value) ?? false, let field = entity.field(named: name.value) {
            diagnostics.append(Rules.IncludeCollision.diagnostic(name.value, entity: entity.name, at: name.location, column: field.location))
            return nil
        }
        // Split the path into components with their offsets.
        var components: [(name: String, offset: Int)] = []
        var offset = 0
        for part in syntax.path.text.split(separator: ".", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            let leading = part.prefix { $0 == " " }.unicodeScalars.count
            guard NameConversion.isIdentifier(trimmed) else {
                diagnostics.append(Rules.InvalidInclude.diagnostic(
                    "include '\(name.value)' has an invalid path '\(syntax.path.text)'; write references and a field joined by '.', such as 'customer.name'",
                    at: syntax.path.location(ofOffset: offset + leading)))
                return nil
            }
            components.append((trimmed, offset + leading))
            offset += part.unicodeScalars.count + 1
        }
        guard components.count >= 2 else {
            let message: String
            if let reference = entity.reference(named: components[0].name) {
                message = "include '\(name.value)' names the reference '\(components[0].name)' itself; include one of its fields, as in '\(components[0].name).<field>' (its key is already the column '\(reference.name)')"
            } else {
                message = "include '\(name.value)' must follow a to-one reference to a field, such as 'customer.name'; '\(components[0].name)' is not a reference of '\(entity.name)'"
            }
            diagnostics.append(Rules.InvalidInclude.diagnostic(message, at: syntax.path.location(ofOffset: components[0].offset)))
            return nil
        }
        switch FieldPathResolver(entities: entities).resolve(components.map(\.name), from: entity) {
        case .success(let path)?:
            return Include(name: name.value, path: path, location: name.location)
        case .failure(let failure)?:
            diagnostics.append(Rules.InvalidInclude.diagnostic(
                "include '\(name.value)': " + failure.message,
                at: syntax.path.location(ofOffset: components[failure.componentIndex].offset)))
            return nil
        case nil:
            return nil
        }
    }

    // MARK: - Subset names

    /// Subsets become registry types named `<Schema><Subset>`; they must be distinct
    /// from each other and from entity types.
    mutating func checkSubsetNames() {
        let prefix = NameConversion.upperCamelCase(syntax.name?.value ?? "")
        let entityTypeNames = Set(syntax.entities.map { NameConversion.upperCamelCase($0.name.value) })
        var registry = NameRegistry(kind: "subset")
        for subset in syntax.subsets where NameConversion.isIdentifier(subset.name.value) {
            let typeName = prefix + NameConversion.upperCamelCase(subset.name.value)
            if entityTypeNames.contains(typeName) {
                diagnostics.append(Rules.NameCollision.make(
                    "subset '\(subset.name.value)' becomes the Swift type '\(typeName)', which an entity already names",
                    at: subset.name.location))
                continue
            }
            diagnostics += registry.register(typeName, for: subset.name, as: "the Swift type '\(typeName)'")
        }
    }

    /// Warnings for branches whose buckets the caller's parameters can't pick, and the
    /// error for a filter with too many branches.
    private func bucketDiagnostics(
        _ filter: FilterExpression, entity: Entity, paths: [(FieldPath, SourceLocation)], rows: ExpressionSyntax
    ) -> [Diagnostic] {
        let probe = SubsetEntity(entityName: entity.name, columns: [], rowFilter: filter, includes: [], access: .readOnly,
                                 conflictPolicy: .serverWins, unit: entity.name, priority: 1, location: rows.location)
        guard let branches = probe.bucketBranches else {
            return [Rules.FilterTooComplex.diagnostic(at: rows.location(ofOffset: 0))]
        }
        var reported: Set<String> = []
        var diagnostics: [Diagnostic] = []
        for binding in branches.flatMap(\.bindings) where !binding.isDirect {
            let text = binding.expression.description
            guard reported.insert(text).inserted else { continue }
            let location = paths.first { $0.0 == binding.path }?.1 ?? rows.location(ofOffset: 0)
            diagnostics.append(Rules.FilterNotBucketed.diagnostic(text, entity: entity.name, at: location))
        }
        return diagnostics
    }
}
