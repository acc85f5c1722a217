/// One way a row can be in a subset: the filter rewritten as an `or` of `and`s (its
/// disjunctive normal form), each `and` split into the conditions that don't read a
/// parameter and the comparisons that do.
///
/// The server files every row into buckets by branch: a row belongs to a branch's bucket
/// when the branch's ``conditions`` hold for it, and the bucket is named by the row's
/// values of the ``bindings``' paths. `courierId == $me and status != "lost"` is one
/// branch with one binding (`courierId`) and one condition: one bucket per courier,
/// holding that courier's parcels that aren't lost. A filter without parameters is one
/// branch without bindings: one bucket for everyone.
public struct BucketBranch: Sendable, Hashable {
    /// Conditions without parameters, all of which hold for a row in the branch.
    public var conditions: [FilterExpression]
    /// The comparisons with a parameter, in the order the filter writes them.
    public var bindings: [BucketBinding]

    /// Whether the caller's buckets follow from its parameter values alone: every binding
    /// is `path == $p` or `path in $list`. Otherwise the server lists the branch's
    /// buckets and keeps those whose values pass the comparisons (see
    /// ``Rules/FilterNotBucketed``).
    public var isDirect: Bool { bindings.allSatisfy(\.isDirect) }

    /// What decides the form of the branch's bucket ids and which of them a caller reads:
    /// each binding's parameter, comparison and value type. While a subset entity's
    /// branches keep their shapes, a changed filter is filed as the difference and
    /// devices continue from their cursors; otherwise the server files the entity from
    /// scratch and devices download its unit again.
    public var shape: String {
        bindings.map { binding in
            "\(binding.parameter) \(binding.isNegated ? "not " : "")\(binding.comparison?.rawValue ?? "in") \(binding.path.type.storage)"
        }.joined(separator: "\n")
    }

    /// The branch as a filter again, for messages.
    public var expression: FilterExpression {
        let operands = conditions + bindings.map(\.expression)
        if operands.isEmpty { return .and([]) }
        return operands.count == 1 ? operands[0] : .and(operands)
    }
}

/// A comparison of a field path with a subset parameter, inside a ``BucketBranch``.
public struct BucketBinding: Sendable, Hashable {
    /// The path compared.
    public var path: FieldPath
    /// The operator; nil for `path in $list`.
    public var comparison: ComparisonOperator?
    /// The parameter's name.
    public var parameter: String
    /// Whether the comparison is negated (`not (path == $p)`).
    public var isNegated: Bool

    /// `path == $p` or `path in $list`, not negated, on a path whose values have one
    /// spelling (not a double or decimal, where `1.5` and `1.50` are equal).
    public var isDirect: Bool {
        !isNegated && (comparison == nil || comparison == .equal)
            && path.type.storage != .double && path.type.storage != .decimal
    }

    /// The comparison as a filter expression.
    public var expression: FilterExpression {
        let test: FilterExpression = comparison.map { .comparison(path, $0, .parameter(parameter)) }
            ?? .membership(path, .parameter(parameter))
        return isNegated ? .not(test) : test
    }
}

extension SubsetEntity {
    /// The most branches a filter may have once rewritten as an `or` of `and`s.
    public static let maximumBucketBranches = 32

    /// The filter's branches (see ``BucketBranch``); one branch without conditions or
    /// bindings when there is no filter, nil when the filter has more than
    /// ``maximumBucketBranches`` branches.
    public var bucketBranches: [BucketBranch]? {
        guard let filter = rowFilter else { return [BucketBranch(conditions: [], bindings: [])] }
        guard let conjunctions = Self.disjunctiveNormalForm(filter, negated: false) else { return nil }
        return conjunctions.map { literals in
            var branch = BucketBranch(conditions: [], bindings: [])
            for (atom, negated) in literals {
                switch atom {
                case .comparison(let path, let op, .parameter(let name)):
                    branch.bindings.append(BucketBinding(path: path, comparison: op, parameter: name, isNegated: negated))
                case .membership(let path, .parameter(let name)):
                    branch.bindings.append(BucketBinding(path: path, comparison: nil, parameter: name, isNegated: negated))
                default:
                    branch.conditions.append(negated ? .not(atom) : atom)
                }
            }
            return branch
        }
    }

    /// The filter as conjunctions of (atom, negated) pairs; nil past the limit.
    private static func disjunctiveNormalForm(_ expression: FilterExpression, negated: Bool) -> [[(FilterExpression, Bool)]]? {
        switch expression {
        case .not(let operand):
            return disjunctiveNormalForm(operand, negated: !negated)
        case .and(let operands), .or(let operands):
            // `not (a and b)` is `not a or not b`; `not (a or b)` is `not a and not b`.
            var isConjunction = true
            if case .or = expression { isConjunction = false }
            if negated { isConjunction.toggle() }
            var result: [[(FilterExpression, Bool)]] = isConjunction ? [[]] : []
            for operand in operands {
                guard let part = disjunctiveNormalForm(operand, negated: negated) else { return nil }
                if isConjunction, part.count == 1 {
                    // The common case, a long `and` chain: extend each branch in place.
                    for index in result.indices { result[index] += part[0] }
                } else if isConjunction {
                    var product: [[(FilterExpression, Bool)]] = []
                    for left in result {
                        for right in part { product.append(left + right) }
                        if product.count > maximumBucketBranches { return nil }
                    }
                    result = product
                } else {
                    result += part
                    if result.count > maximumBucketBranches { return nil }
                }
            }
            return result
        default:
            return [[(expression, negated)]]
        }
    }
}
