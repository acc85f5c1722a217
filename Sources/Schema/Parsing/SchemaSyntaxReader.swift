import Foundation

/// The second half of the parse stage: located YAML tree → ``SchemaSyntax``.
///
/// It checks only shape: which keys exist where, and whether each value is a mapping,
/// a list or a scalar. Unknown keys and wrong shapes are reported and skipped, so the
/// rest of the file is still read and validated.
struct SchemaSyntaxReader {
    let source: SourceText
    private(set) var diagnostics: [Diagnostic] = []
    /// Allowed keys that an unknown key looked like; their absence is already explained.
    private var misspelledKeys: [SourceLocation: Set<String>] = [:]

    init(source: SourceText) {
        self.source = source
    }

    mutating func read(_ root: SyntaxNode) -> SchemaSyntax {
        var schema = SchemaSyntax(source: source, location: root.location)
        guard let pairs = mapping(root, expected: "a mapping with 'syncwright', 'name' and 'entities'") else {
            return schema
        }
        let entries = keyed(pairs, in: "the schema", allowed: ["syncwright", "name", "entities", "subsets"])
        if let node = entries["syncwright"] {
            schema.formatVersion = scalar(node, expected: "the format version 1")
        } else {
            reportMissing("syncwright", in: "the schema", of: pairs, at: root.location,
                          advice: "start the file with 'syncwright: 1'")
        }
        if let node = entries["name"] {
            schema.name = scalar(node, expected: "a name such as 'FieldService'")
            if schema.name == nil, node.scalar?.isNull == true {
                diagnostics.append(Rules.MissingKey.diagnostic("name", in: "the schema", at: node.location))
            }
        } else {
            reportMissing("name", in: "the schema", of: pairs, at: root.location,
                          advice: "add 'name:', the prefix of generated type names")
        }
        if let node = entries["entities"] {
            for pair in mapping(node, expected: "a mapping of entity names to their definitions", allowNull: true) ?? [] {
                guard let name = key(pair) else { continue }
                schema.entities.append(readEntity(name, pair.value))
            }
        } else {
            reportMissing("entities", in: "the schema", of: pairs, at: root.location)
        }
        if let node = entries["subsets"] {
            for pair in mapping(node, expected: "a mapping of subset names to their definitions", allowNull: true) ?? [] {
                guard let name = key(pair) else { continue }
                schema.subsets.append(readSubset(name, pair.value))
            }
        }
        return schema
    }

    // MARK: - Entities

    private mutating func readEntity(_ name: Located<String>, _ node: SyntaxNode) -> EntitySyntax {
        var entity = EntitySyntax(name: name)
        let context = "entity '\(name.value)'"
        guard let pairs = mapping(node, expected: "a mapping with 'fields'") else { return entity }
        let entries = keyed(pairs, in: context, allowed: ["table", "key", "fields", "doc"])
        entity.table = entries["table"].flatMap { scalar($0, expected: "a table name") }
        entity.key = entries["key"].flatMap { scalar($0, expected: "the name of the key field") }
        entity.documentation = entries["doc"].flatMap { scalar($0, expected: "documentation text") }
        guard let fieldsNode = entries["fields"] else {
            reportMissing("fields", in: context, of: pairs, at: name.location)
            return entity
        }
        for pair in mapping(fieldsNode, expected: "a mapping of field names to types") ?? [] {
            guard let fieldName = key(pair) else { continue }
            if let field = readField(fieldName, pair.value) { entity.fields.append(field) }
        }
        return entity
    }

    private mutating func readField(_ name: Located<String>, _ node: SyntaxNode) -> FieldSyntax? {
        var field = FieldSyntax(name: name)
        let context = "field '\(name.value)'"
        switch node.kind {
        case .scalar(let scalar):
            guard !scalar.isNull else {
                diagnostics.append(Rules.MissingKey.diagnostic(
                    "type", in: context, at: name.location, advice: "write '\(name.value): string' or another type"))
                return field
            }
            (field.type, field.isNullable) = namedType(scalar.text, at: node.location)
        case .sequence:
            diagnostics.append(Rules.InvalidStructure.diagnostic(
                expected: "a type such as 'string', or a mapping with 'type' or 'enum'", found: node, at: node.location))
            return field
        case .mapping(let pairs):
            let entries = keyed(pairs, in: context, allowed: ["type", "enum", "nullable", "default", "doc"])
            if let typeNode = entries["type"], let text = scalar(typeNode, expected: "a type such as 'string'") {
                (field.type, field.isNullable) = namedType(text.value, at: text.location)
            }
            if let enumNode = entries["enum"] {
                if entries["type"] != nil {
                    diagnostics.append(Rules.InvalidValue.diagnostic(
                        "give either 'type' or 'enum', not both", at: enumNode.location))
                } else if let items = sequence(enumNode, expected: "a list of cases such as [open, done]") {
                    let cases = items.compactMap { scalar($0, expected: "a case name") }
                    field.type = .enumeration(cases: cases, location: enumNode.location)
                }
            }
            if entries["type"] == nil, entries["enum"] == nil {
                reportMissing("type", in: context, of: pairs, at: name.location, advice: "add 'type:' or 'enum:'")
            }
            if let nullableNode = entries["nullable"], let flag = scalar(nullableNode, expected: "true or false") {
                switch (flag.value, nullableNode.scalar?.style) {
                case ("true", .plain?): field.isNullable = true
                case ("false", .plain?): break
                default:
                    diagnostics.append(Rules.InvalidValue.diagnostic(
                        flag.value, for: "value of 'nullable'", allowed: ["true", "false"], at: flag.location))
                }
            }
            if let defaultNode = entries["default"] {
                if let value = defaultNode.scalar {
                    field.defaultValue = Located(value, at: defaultNode.location)
                } else {
                    diagnostics.append(Rules.InvalidStructure.diagnostic(
                        expected: "a single default value", found: defaultNode, at: defaultNode.location))
                }
            }
            field.documentation = entries["doc"].flatMap { scalar($0, expected: "documentation text") }
        }
        return field
    }

    /// Splits `string?` into the type name and its nullability.
    private func namedType(_ text: String, at location: SourceLocation) -> (FieldSyntax.TypeSyntax, Bool) {
        var name = Substring(text.trimmingCharacters(in: .whitespaces))
        var nullable = false
        if name.hasSuffix("?") {
            nullable = true
            name = Substring(name.dropLast().trimmingCharacters(in: .whitespaces))
        }
        return (.named(Located(String(name), at: location)), nullable)
    }

    // MARK: - Subsets

    private mutating func readSubset(_ name: Located<String>, _ node: SyntaxNode) -> SubsetSyntax {
        var subset = SubsetSyntax(name: name)
        let context = "subset '\(name.value)'"
        guard let pairs = mapping(node, expected: "a mapping with 'entities'") else { return subset }
        let entries = keyed(pairs, in: context, allowed: ["parameters", "allow", "entities"])
        if let allowNode = entries["allow"] { subset.allow = expression(allowNode, expected: "a condition on the subset's parameters") }
        if let parametersNode = entries["parameters"] {
            for pair in mapping(parametersNode, expected: "a mapping of parameter names to claims", allowNull: true) ?? [] {
                guard let parameterName = key(pair) else { continue }
                subset.parameters.append(readParameter(parameterName, pair.value))
            }
        }
        guard let entitiesNode = entries["entities"] else {
            reportMissing("entities", in: context, of: pairs, at: name.location)
            return subset
        }
        for pair in mapping(entitiesNode, expected: "a mapping of entity names to their offline settings", allowNull: true) ?? [] {
            guard let entityName = key(pair) else { continue }
            subset.entities.append(readSubsetEntity(entityName, pair.value))
        }
        return subset
    }

    private mutating func readParameter(_ name: Located<String>, _ node: SyntaxNode) -> ParameterSyntax {
        var parameter = ParameterSyntax(name: name)
        let context = "parameter '\(name.value)'"
        guard let pairs = mapping(node, expected: "a mapping with 'claim' and 'type'") else { return parameter }
        let entries = keyed(pairs, in: context, allowed: ["claim", "type"])
        parameter.claim = entries["claim"].flatMap { scalar($0, expected: "a claim name such as 'sub'") }
        parameter.type = entries["type"].flatMap { scalar($0, expected: "a type such as 'uuid' or \"[string]\"") }
        if entries["claim"] == nil { reportMissing("claim", in: context, of: pairs, at: name.location) }
        if entries["type"] == nil { reportMissing("type", in: context, of: pairs, at: name.location) }
        return parameter
    }

    private mutating func readSubsetEntity(_ name: Located<String>, _ node: SyntaxNode) -> SubsetEntitySyntax {
        var entity = SubsetEntitySyntax(name: name)
        let context = "subset entity '\(name.value)'"
        guard let pairs = mapping(node, expected: "a mapping of offline settings", allowNull: true) else { return entity }
        let entries = keyed(pairs, in: context,
                            allowed: ["columns", "rows", "include", "access", "conflict", "unit", "priority",
                                     "attachments", "maxAttachmentSize"])
        if let columnsNode = entries["columns"] { entity.columns = readColumns(columnsNode) }
        if let rowsNode = entries["rows"] { entity.rows = expression(rowsNode, expected: "a row filter") }
        if let includeNode = entries["include"] {
            for pair in mapping(includeNode, expected: "a mapping of include names to paths such as 'customer.name'",
                                allowNull: true) ?? [] {
                guard let includeName = key(pair) else { continue }
                if let path = expression(pair.value, expected: "a path such as 'customer.name'") {
                    entity.includes.append(.init(name: includeName, path: path))
                } else if pair.value.scalar?.isNull == true {
                    diagnostics.append(Rules.InvalidInclude.diagnostic(
                        "include '\(includeName.value)' needs a path such as 'customer.name'", at: includeName.location))
                }
            }
        }
        entity.access = entries["access"].flatMap { scalar($0, expected: "an access mode") }
        entity.conflict = entries["conflict"].flatMap { scalar($0, expected: "a conflict policy") }
        entity.unit = entries["unit"].flatMap { scalar($0, expected: "a unit name") }
        entity.priority = entries["priority"].flatMap { scalar($0, expected: "an integer priority") }
        entity.attachments = entries["attachments"].flatMap { scalar($0, expected: "eager, on-demand or never") }
        entity.maxAttachmentSize = entries["maxAttachmentSize"].flatMap { scalar($0, expected: "a size such as 25 MB") }
        return entity
    }

    private mutating func readColumns(_ node: SyntaxNode) -> SubsetEntitySyntax.ColumnsSyntax? {
        let allowed = "'all', a list of fields, or { except: [fields] }"
        switch node.kind {
        case .scalar(let scalar):
            if scalar.text == "all", scalar.style == .plain { return .all(node.location) }
            diagnostics.append(Rules.InvalidValue.diagnostic(
                scalar.text, for: "columns value", allowed: ["all", "[fields]", "{ except: [fields] }"], at: node.location))
            return nil
        case .sequence(let items):
            return .list(items.compactMap { scalar($0, expected: "a field name") }, location: node.location)
        case .mapping(let pairs):
            let entries = keyed(pairs, in: "columns", allowed: ["except"])
            guard let exceptNode = entries["except"] else {
                diagnostics.append(Rules.InvalidStructure.diagnostic(expected: allowed, found: node, at: node.location))
                return nil
            }
            let items = sequence(exceptNode, expected: "a list of fields to leave out") ?? []
            return .except(items.compactMap { scalar($0, expected: "a field name") }, location: exceptNode.location)
        }
    }

    // MARK: - Shape helpers

    private mutating func mapping(_ node: SyntaxNode, expected: String, allowNull: Bool = false) -> [SyntaxNode.Pair]? {
        if let pairs = node.pairs { return pairs }
        if allowNull, node.scalar?.isNull == true { return [] }
        diagnostics.append(Rules.InvalidStructure.diagnostic(expected: expected, found: node, at: node.location))
        return nil
    }

    private mutating func sequence(_ node: SyntaxNode, expected: String) -> [SyntaxNode]? {
        if let items = node.items { return items }
        diagnostics.append(Rules.InvalidStructure.diagnostic(expected: expected, found: node, at: node.location))
        return nil
    }

    /// The text of a scalar; nil (and a diagnostic, unless it is null) otherwise.
    private mutating func scalar(_ node: SyntaxNode, expected: String) -> Located<String>? {
        guard let scalar = node.scalar else {
            diagnostics.append(Rules.InvalidStructure.diagnostic(expected: expected, found: node, at: node.location))
            return nil
        }
        return scalar.isNull ? nil : Located(scalar.text, at: node.location)
    }

    private mutating func expression(_ node: SyntaxNode, expected: String) -> ExpressionSyntax? {
        guard let scalar = node.scalar else {
            diagnostics.append(Rules.InvalidStructure.diagnostic(expected: expected, found: node, at: node.location))
            return nil
        }
        guard !scalar.isNull else { return nil }
        let map = ScalarTextMap(value: scalar.text, style: scalar.style, nodeLocation: node.location, source: source)
        return ExpressionSyntax(text: scalar.text, map: map, location: node.location)
    }

    /// A mapping key's text; keys must be scalars.
    private mutating func key(_ pair: SyntaxNode.Pair) -> Located<String>? {
        guard let scalar = pair.key.scalar else {
            diagnostics.append(Rules.InvalidStructure.diagnostic(expected: "a name", found: pair.key, at: pair.key.location))
            return nil
        }
        return Located(scalar.text, at: pair.key.location)
    }

    /// Reports a missing required key, unless an unknown key of the same mapping was a
    /// misspelling of it (that diagnostic already says "did you mean").
    private mutating func reportMissing(
        _ key: String, in context: String, of pairs: [SyntaxNode.Pair], at location: SourceLocation, advice: String? = nil
    ) {
        if let first = pairs.first, misspelledKeys[first.key.location]?.contains(key) == true { return }
        diagnostics.append(Rules.MissingKey.diagnostic(key, in: context, at: location, advice: advice))
    }

    /// The values of a mapping by key, reporting unknown and repeated keys.
    private mutating func keyed(_ pairs: [SyntaxNode.Pair], in context: String, allowed: [String]) -> [String: SyntaxNode] {
        var entries: [String: SyntaxNode] = [:]
        var firstKeys: [String: SourceLocation] = [:]
        for pair in pairs {
            guard let name = key(pair) else { continue }
            if let first = firstKeys[name.value] {
                diagnostics.append(Rules.YAMLDuplicateKey.diagnostic(key: name.value, at: name.location, first: first))
                continue
            }
            firstKeys[name.value] = name.location
            guard allowed.contains(name.value) else {
                diagnostics.append(Rules.UnknownKey.diagnostic(key: name.value, in: context, allowed: allowed, at: name.location))
                if let closest = NameSuggestion.closest(to: name.value, in: allowed) {
                    misspelledKeys[pairs[0].key.location, default: []].insert(closest)
                }
                continue
            }
            entries[name.value] = pair.value
        }
        return entries
    }
}
