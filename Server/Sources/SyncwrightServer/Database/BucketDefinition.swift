import Foundation
import SyncwrightSchema

/// One branch of one subset entity's filter, as the change log files rows by it.
///
/// A bucket's id is `subset/Entity/branch` followed by one `/value` per binding: `~`
/// and the hex of the value's canonical text, or `-` for null. The database computes ids
/// from rows (in the triggers, ``bucketRows(where:)``); the server computes the caller's
/// ids from its parameters (``callerBuckets(_:)``) in the same form, so the two meet
/// in an index lookup. Hex keeps every byte of a value, NULs and separators included.
struct BucketDefinition: Sendable {
    /// The subset's name.
    let subset: String
    /// How the entity is read in the subset.
    let plan: EntityPlan
    /// The branch's position in the filter's branches.
    let index: Int
    /// The branch.
    let branch: BucketBranch

    var dialect: SQLDialect { plan.dialect }

    /// Every bucket id of this branch starts with this and a `/`.
    var prefix: String { "\(subset)/\(plan.entity.name)/\(index)" }

    /// The bucket ids of one subset entity start with this and a `/`: `subset/Entity`.
    var group: String { Self.group(ofPrefix: prefix) }

    /// The subset entity a definition's prefix (`subset/Entity/branch`) belongs to.
    static func group(ofPrefix prefix: String) -> String {
        String(prefix[..<(prefix.lastIndex(of: "/") ?? prefix.endIndex)])
    }

    /// What decides the form of the branch's bucket ids and which of them a caller
    /// reads: the prefix and each binding's parameter, comparison and value type. Two
    /// definitions with the same shape file a row under the same id, and a caller reads
    /// the same ids of both, whatever else their filters say.
    var shape: String { "\(prefix)\n\(branch.shape)" }

    /// SQL that holds for a log entry (alias `alias`) in one of the branch's buckets.
    func holdsEntry(_ alias: String) -> String { Self.holdsEntry(alias, under: prefix) }

    /// SQL that holds for a log entry (alias `alias`) whose bucket id is `prefix` or
    /// starts with it and a `/`: a branch's buckets, or a subset entity's (its group,
    /// which is never a bucket id itself).
    static func holdsEntry(_ alias: String, under prefix: String) -> String {
        let text = prefix.replacingOccurrences(of: "'", with: "''")
        return "(\(alias).bucket = '\(text)' OR (\(alias).bucket > '\(text)/' AND \(alias).bucket < '\(text)0'))"
    }

    /// Every branch of every subset entity of `schema`, by entity name.
    static func all(schema: SchemaModel, dialect: SQLDialect) -> [String: [BucketDefinition]] {
        var definitions: [String: [BucketDefinition]] = [:]
        for subset in schema.subsets {
            for subsetEntity in subset.entities {
                let plan = EntityPlan(subsetEntity: subsetEntity, schema: schema, dialect: dialect)
                definitions[subsetEntity.entityName, default: []] += branches(of: plan, in: subset.name)
            }
        }
        return definitions
    }

    /// One definition per branch of `plan`'s filter.
    static func branches(of plan: EntityPlan, in subset: String) -> [BucketDefinition] {
        plan.bucketBranches.enumerated().map { BucketDefinition(subset: subset, plan: plan, index: $0.offset, branch: $0.element) }
    }

    // MARK: - In SQL

    /// `SELECT bucket, key FROM <entity> …`: the buckets of the rows that meet `condition`
    /// (an SQL condition on the entity's table, aliased `t`). With `row` (`NEW` in a
    /// trigger), the buckets of that one row, read from the trigger's values rather than
    /// looked up in the table again.
    func bucketRows(where condition: String, row: String? = nil) -> String {
        var builder = SQLBuilder(dialect, inlinesValues: true)
        var bucket = dialect == .sqlite ? "'\(prefix)'" : "'\(prefix)'::text"
        var notNull: [String] = []
        for binding in branch.bindings {
            let (column, type) = plan.filterColumn(binding.path)!
            bucket += " || '/' || " + valueCode(column, type.storage)
            // A direct binding's null never equals a parameter: such rows are in no bucket.
            if binding.isDirect { notNull.append("\(column) IS NOT NULL") }
        }
        var source = plan.table
        if let row {
            // The trigger's values in canonical form: another system may have written a
            // uuid in upper case, which the stored row holds in lower case a moment later.
            source = "(SELECT " + plan.entity.fields.map { field in
                let column = dialect.quote(field.columnName)
                return "\(dialect.canonical("\(row).\(column)", field.type.storage)) AS \(column)"
            }.joined(separator: ", ") + ")"
        }
        builder.append("SELECT \(bucket) AS bucket, \(plan.keyText) AS key FROM \(source) AS t\(plan.joins) WHERE (\(condition))")
        for check in notNull { builder.append(" AND \(check)") }
        for condition in branch.conditions {
            builder.append(" AND ")
            plan.appendCondition(condition, to: &builder)
        }
        return builder.sql
    }

    /// The SQL for one binding's part of a bucket id.
    private func valueCode(_ column: String, _ type: ScalarType) -> String {
        switch dialect {
        case .sqlite:
            let text = switch type {
            case .int, .bool, .double: "CAST(\(column) AS TEXT)"
            case .uuid: "lower(\(column))"
            default: column
            }
            return "(CASE WHEN \(column) IS NULL THEN '-' ELSE '~' || hex(\(text)) END)"
        case .postgres:
            let text = switch type {
            case .bool: "(CASE WHEN \(column) THEN '1' ELSE '0' END)"
            case .int, .double: "\(column)::text"
            case .string: column
            default: dialect.read(column, type)
            }
            return "(CASE WHEN \(column) IS NULL THEN '-' ELSE '~' || encode(convert_to(\(text), 'UTF8'), 'hex') END)"
        }
    }

    // MARK: - In Swift

    /// The part of a bucket id for a parameter's value, as ``valueCode(_:_:)`` writes it.
    func valueCode(_ value: SQLValue) -> String {
        let text: String
        switch value {
        case .null: return "-"
        case .integer(let integer): text = String(integer)
        case .bool(let flag): text = flag ? "1" : "0"
        case .real(let number): text = String(number)
        case .text(let string): text = string
        case .blob(let data): return "~" + Self.hex(Array(data), uppercase: dialect == .sqlite)
        }
        return "~" + Self.hex(Array(text.utf8), uppercase: dialect == .sqlite)
    }

    private static func hex(_ bytes: [UInt8], uppercase: Bool) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The most buckets one caller may read in one branch.
    static let maximumCallerBuckets = 2_000

    /// The caller's bucket ids when the branch is direct (every binding `==` or `in` a
    /// parameter): one per combination of its parameter values. Nil when the branch
    /// isn't direct; throws when the combinations pass ``maximumCallerBuckets``.
    func callerBuckets(_ parameters: SubsetParameters) throws(ProtocolError) -> [String]? {
        guard branch.isDirect else { return nil }
        var ids = [prefix]
        for binding in branch.bindings {
            let values: [SQLValue] = switch parameters.values[binding.parameter] {
            case .single(let value): [value]
            case .list(let items): items
            case nil: []
            }
            let codes = Set(values.filter { !$0.isNull }.map(valueCode)).sorted()
            ids = ids.flatMap { id in codes.map { id + "/" + $0 } }
            if ids.count > Self.maximumCallerBuckets {
                throw .claimMissing("the token's claims select more than \(Self.maximumCallerBuckets) buckets of \(plan.entity.name) in subset \(subset)")
            }
        }
        return ids
    }

    /// Whether the caller reads the bucket `id` of this branch: its values pass every
    /// binding's comparison with the caller's parameters, as SQL would compare them (a
    /// null never compares true).
    func callerReads(_ id: String, _ parameters: SubsetParameters) -> Bool {
        guard id.hasPrefix(prefix + "/") || (branch.bindings.isEmpty && id == prefix) else { return false }
        let codes = id.dropFirst(prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        guard codes.count == branch.bindings.count else { return false }
        for (binding, code) in zip(branch.bindings, codes) {
            let value = Self.decode(code)
            let parameter: [SQLValue] = switch parameters.values[binding.parameter] {
            case .single(let value): [value]
            case .list(let items): items
            case nil: []
            }
            let type = binding.path.type.storage
            var holds: Bool
            if let value {
                if let op = binding.comparison {
                    guard let order = parameter.first.flatMap({ Self.compare(value, $0, type) }) else { return false }
                    holds = switch op {
                    case .equal: order == 0
                    case .notEqual: order != 0
                    case .lessThan: order < 0
                    case .lessThanOrEqual: order <= 0
                    case .greaterThan: order > 0
                    case .greaterThanOrEqual: order >= 0
                    }
                } else {
                    holds = parameter.contains { Self.compare(value, $0, type) == 0 }
                }
            } else {
                holds = false
            }
            if binding.isNegated { holds.toggle() }
            if !holds { return false }
        }
        return true
    }

    /// The canonical text of a value code; nil for null.
    private static func decode(_ code: Substring) -> String? {
        guard code.first == "~" else { return nil }
        var bytes: [UInt8] = []
        var high: UInt8?
        for scalar in code.utf8.dropFirst() {
            let nibble: UInt8 = switch scalar {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): scalar - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): scalar - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): scalar - UInt8(ascii: "A") + 10
            default: 0
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// -1, 0 or 1 as `text` (a row's value) compares with `parameter`; nil when either
    /// can't be read as `type`.
    private static func compare(_ text: String, _ parameter: SQLValue, _ type: ScalarType) -> Int? {
        func order<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : a == b ? 0 : 1 }
        switch type {
        case .int:
            guard let a = Int64(text), let b = parameter.integer else { return nil }
            return order(a, b)
        case .bool:
            guard let b = parameter.bool else { return nil }
            return order(text == "1" ? 1 : 0, b ? 1 : 0)
        case .double, .decimal:
            let b: Double? = switch parameter {
            case .integer(let integer): Double(integer)
            case .real(let number): number
            case .text(let string): Double(string)
            default: nil
            }
            guard let a = Double(text), let b else { return nil }
            return order(a, b)
        default:
            guard let b = parameter.text else { return nil }
            let left = Array(text.utf8), right = Array(b.utf8)
            return left.lexicographicallyPrecedes(right) ? -1 : left == right ? 0 : 1
        }
    }
}
