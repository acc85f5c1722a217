import Syncwright
import SyncwrightSchema

/// How one entity of one subset is read: the joins its includes and filter need, the
/// columns a device receives, and the filter compiled to SQL. Identifiers come only
/// from the schema; the caller's claims are only ever bound as arguments.
/// A class: every op of a push and every row read back refers to its entity's plan.
final class EntityPlan: Sendable {
    /// A value a device receives: a selected field, an include, or `updatedAt`.
    struct OutputColumn: Sendable {
        var name: String
        var type: FieldType
        var expression: String
    }

    let subsetEntity: SubsetEntity
    let entity: Entity
    let dialect: SQLDialect
    /// `"table" AS t LEFT JOIN … AS j1 ON …`.
    let joins: String
    /// The key read as text, as the change log stores it.
    let keyText: String
    /// What a device receives, in order.
    let outputs: [OutputColumn]
    /// The selected fields by name (the key among them).
    let selectedFields: [String: Field]
    /// True for a row whose selected columns all hold values of their types (alias
    /// `t`); nil when no selected column needs a check. Rows that got in before the
    /// server checked what other systems write are not sent until repaired.
    let validRow: String?
    /// The column expression and type of every path the filter reads.
    private let filterColumns: [FieldPath: (String, FieldType)]

    init(subsetEntity: SubsetEntity, schema: SchemaModel, dialect: SQLDialect) {
        let entity = schema.entity(named: subsetEntity.entityName)!
        self.subsetEntity = subsetEntity
        self.entity = entity
        self.dialect = dialect
        func q(_ name: String) -> String { dialect.quote(name) }

        var aliases: [String: String] = [:]
        var joins = ""
        let paths = subsetEntity.includes.map(\.path) + (subsetEntity.rowFilter?.paths ?? [])
        for path in paths {
            var holder = entity
            var holderAlias = "t"
            var chain: [String] = []
            for hop in path.hops {
                chain.append(hop.relationName)
                let id = chain.joined(separator: ".")
                let target = schema.entity(named: hop.targetEntity)!
                if let alias = aliases[id] {
                    holderAlias = alias
                } else {
                    let alias = "j\(aliases.count + 1)"
                    aliases[id] = alias
                    let reference = holder.field(named: hop.fieldName)!
                    joins += " LEFT JOIN \(q(target.tableName)) AS \(alias) ON \(alias).\(q(target.keyField.columnName)) = \(holderAlias).\(q(reference.columnName))"
                    holderAlias = alias
                }
                holder = target
            }
        }
        self.joins = joins
        var filterColumns: [FieldPath: (String, FieldType)] = [:]
        for path in subsetEntity.rowFilter?.paths ?? [] {
            filterColumns[path] = Self.columnExpression(path, aliases: aliases, schema: schema, dialect: dialect)
        }
        self.filterColumns = filterColumns

        keyText = dialect.keyText("t.\(q(entity.keyField.columnName))", entity.keyField.type.storage)
        var outputs: [OutputColumn] = []
        var selected: [String: Field] = [:]
        for name in subsetEntity.columns {
            let field = entity.field(named: name)!
            selected[name] = field
            outputs.append(OutputColumn(name: name, type: field.type,
                                        expression: dialect.read("t.\(q(field.columnName))", field.type.storage)))
        }
        self.selectedFields = selected
        validRow = DatabaseLayout.validRowCondition(subsetEntity.columns.compactMap { entity.field(named: $0) }, alias: "t",
                                                    dialect: dialect)
        for include in subsetEntity.includes {
            let (column, type) = Self.columnExpression(include.path, aliases: aliases, schema: schema, dialect: dialect)
            outputs.append(OutputColumn(name: include.name, type: type, expression: dialect.read(column, type.storage)))
        }
        outputs.append(OutputColumn(name: "updatedAt", type: .scalar(.timestamp),
                                    expression: dialect.read("t.updated_at", .timestamp)))
        self.outputs = outputs
        table = dialect.quote(entity.tableName)
        filterUsesParameters = !(subsetEntity.rowFilter?.parameterNames.isEmpty ?? true)
        // The validator refuses filters with too many branches (`filter-too-complex`).
        bucketBranches = subsetEntity.bucketBranches ?? []
        keyColumn = dialect.quote(entity.keyField.columnName)
        selectList = (outputs.map(\.expression) + ["t.version"]).joined(separator: ", ")
        includeNames = Set(subsetEntity.includes.map(\.name))
        quotedColumns = selected.mapValues { dialect.quote($0.columnName) }
        attachmentFields = entity.fields.filter { selected[$0.name] != nil && $0.type == .scalar(.attachment) }
        // `field == $p` in every way a row can pass the filter (one branch): an insert
        // that leaves the field unset can only mean the caller's own value.
        if bucketBranches.count == 1 {
            callerFilledFields = bucketBranches[0].bindings.compactMap { binding in
                guard binding.comparison == .equal, !binding.isNegated, binding.path.hops.isEmpty,
                      let field = selected[binding.path.fieldName], field.name != entity.keyFieldName else { return nil }
                return (field, binding.parameter)
            }
        } else {
            callerFilledFields = []
        }
        requiredOnInsert = entity.fields
            .filter { $0.name != entity.keyFieldName && !$0.isNullable && $0.defaultValue == nil }
            .map(\.name)
        var prefix = Array(#"{"entity":"#.utf8)
        PullResponseWriter.writeString(entity.name, to: &prefix)
        entityPrefix = prefix
        outputKeys = outputs.map { output in
            var key: [UInt8] = []
            PullResponseWriter.writeString(output.name, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
        sortedOutputIndices = outputs.indices.sorted { outputs[$0].name < outputs[$1].name }
    }

    /// Whether the row filter compares anything with a subset parameter, so a write
    /// can hand a row to someone else.
    let filterUsesParameters: Bool
    /// The filter's branches, by which the change log files rows into buckets.
    let bucketBranches: [BucketBranch]
    /// The selected fields the filter requires to equal a parameter (`courierId == $me`,
    /// with no `or` around it): an insert that leaves one unset or null gets the
    /// caller's value.
    let callerFilledFields: [(field: Field, parameter: String)]
    /// The quoted table name.
    let table: String
    /// The quoted key column.
    let keyColumn: String
    /// The select list of a row: every output, then the version.
    let selectList: String
    /// The names of the includes, which devices never write.
    let includeNames: Set<String>
    /// Each selected field's quoted column, by field name.
    let quotedColumns: [String: String]
    /// The selected attachment fields, in the entity's order: a push checks their files.
    let attachmentFields: [Field]
    /// The fields a new row needs a value for: not the key, not nullable, no default.
    let requiredOnInsert: [String]
    /// `{"entity":"Name"` as bytes, and each output's `"name":`, for writing pages.
    let entityPrefix: [UInt8]
    let outputKeys: [[UInt8]]
    /// The outputs' indices in name order, the order rows are written in.
    let sortedOutputIndices: [Int]

    private static func columnExpression(
        _ path: FieldPath, aliases: [String: String], schema: SchemaModel, dialect: SQLDialect
    ) -> (String, FieldType) {
        let alias = path.hops.isEmpty ? "t" : aliases[path.hops.map(\.relationName).joined(separator: ".")]!
        let field = schema.entity(named: path.fieldEntity)!.field(named: path.fieldName)!
        return ("\(alias).\(dialect.quote(field.columnName))", field.type)
    }


    /// Decodes the values of ``selectList`` starting at `offset`.
    func row(_ values: [SQLValue], from offset: Int) -> (row: [String: JSONValue], version: Int64?) {
        var row: [String: JSONValue] = [:]
        row.reserveCapacity(outputs.count)
        for (index, output) in outputs.enumerated() {
            row[output.name] = WireValueCodec.jsonValue(values[offset + index], output.type)
        }
        return (row, values[offset + outputs.count].integer)
    }

    /// The column expression and type of a path the filter reads.
    func filterColumn(_ path: FieldPath) -> (expression: String, type: FieldType)? {
        filterColumns[path].map { ($0.0, $0.1) }
    }

    // MARK: - Filter

    /// Appends `expression`, a filter without parameters, as a boolean SQL expression.
    func appendCondition(_ expression: FilterExpression, to builder: inout SQLBuilder) {
        append(expression, to: &builder, parameters: SubsetParameters(values: [:]), mode: .full, positive: true)
    }

    /// Which part of the filter to compile.
    enum FilterMode {
        /// The whole filter: is the row in the caller's subset?
        case full
        /// Only the conditions on the caller's parameters (the others count as holding):
        /// does the row still belong to the caller? A written row may leave the subset by
        /// its own conditions (an order marked cancelled) but never to another owner.
        case ownership
    }

    /// Appends the filter as a boolean SQL expression (true when there is no filter).
    func appendFilter(to builder: inout SQLBuilder, parameters: SubsetParameters, mode: FilterMode) {
        guard let filter = subsetEntity.rowFilter else {
            builder.append(dialect.boolean(true))
            return
        }
        append(filter, to: &builder, parameters: parameters, mode: mode, positive: true)
    }

    private func append(
        _ expression: FilterExpression, to builder: inout SQLBuilder, parameters: SubsetParameters,
        mode: FilterMode, positive: Bool
    ) {
        switch expression {
        case .and(let operands), .or(let operands):
            let joiner: String
            if case .and = expression { joiner = " AND " } else { joiner = " OR " }
            builder.append("(")
            for (index, operand) in operands.enumerated() {
                if index > 0 { builder.append(joiner) }
                append(operand, to: &builder, parameters: parameters, mode: mode, positive: positive)
            }
            builder.append(")")
        case .not(let operand):
            builder.append("(NOT ")
            append(operand, to: &builder, parameters: parameters, mode: mode, positive: !positive)
            builder.append(")")
        default:
            if mode == .ownership && expression.parameterNames.isEmpty {
                // Relaxed so the result is implied by the full filter.
                builder.append(dialect.boolean(positive))
                return
            }
            // Every comparison is two-valued: one involving null is false, so `not` of it is true.
            builder.append("COALESCE((")
            appendPredicate(expression, to: &builder, parameters: parameters)
            builder.append("), \(dialect.boolean(false)))")
        }
    }

    private func appendPredicate(_ expression: FilterExpression, to builder: inout SQLBuilder, parameters: SubsetParameters) {
        func column(_ path: FieldPath) -> (String, ScalarType) {
            let (name, fieldType) = filterColumns[path]!
            let type = fieldType.storage
            // SQLite keeps decimals as text; compare them as numbers.
            return (dialect == .sqlite && type == .decimal ? "CAST(\(name) AS REAL)" : name, type)
        }
        func bind(_ value: SQLValue, _ type: ScalarType) {
            if dialect == .sqlite && type == .decimal {
                builder.append("CAST(")
                builder.bind(value)
                builder.append(" AS REAL)")
            } else {
                builder.bind(value, type)
            }
        }
        func values(_ operand: FilterOperand, _ type: ScalarType) -> [SQLValue] {
            switch operand {
            case .literal(let value): [WireValueCodec.sqlValue(value, type)]
            case .list(let items): items.map { WireValueCodec.sqlValue($0, type) }
            case .parameter(let name):
                switch parameters.values[name] {
                case .single(let value): [value]
                case .list(let items): items
                case nil: [.null]
                }
            }
        }
        switch expression {
        case .comparison(let path, let op, let operand):
            let (name, type) = column(path)
            let sqlOperator = switch op {
            case .equal: "="
            case .notEqual: "<>"
            default: op.rawValue
            }
            builder.append("\(name) \(sqlOperator) ")
            bind(values(operand, type).first ?? .null, type)
        case .membership(let path, let operand):
            let (name, type) = column(path)
            let items = values(operand, type)
            guard !items.isEmpty else {
                builder.append(dialect.boolean(false))
                return
            }
            builder.append("\(name) IN (")
            for (index, item) in items.enumerated() {
                if index > 0 { builder.append(", ") }
                bind(item, type)
            }
            builder.append(")")
        case .nullCheck(let path, let isNull):
            let (name, _) = column(path)
            builder.append("\(name) IS \(isNull ? "" : "NOT ")NULL")
        case .condition(let path):
            let (name, _) = column(path)
            builder.append("\(name) = \(dialect.boolean(true))")
        case .and, .or, .not:
            break
        }
    }

}
