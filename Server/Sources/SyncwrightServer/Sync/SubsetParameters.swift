import Syncwright
import SyncwrightSchema

/// A subset parameter's value for one caller, taken from a verified token claim.
enum ParameterValue: Sendable, Hashable {
    case single(SQLValue)
    case list([SQLValue])
}

/// The values of a subset's parameters for one caller.
struct SubsetParameters: Sendable, Hashable {
    var values: [String: ParameterValue]

    /// Why the token can't be used for the subset (answered with 403).
    struct ClaimProblem: Error, Sendable {
        var message: String
    }

    /// Reads every parameter of `subset` from `claims`.
    init(subset: Subset, claims: [String: JSONValue]) throws(ClaimProblem) {
        var values: [String: ParameterValue] = [:]
        for parameter in subset.parameters {
            guard let claim = claims[parameter.claim], claim != .null else {
                throw ClaimProblem(message: "the token has no \(parameter.claim) claim, which the \(subset.name) subset needs for $\(parameter.name)")
            }
            func convert(_ value: JSONValue) throws(ClaimProblem) -> SQLValue {
                guard let converted = WireValueCodec.scalarValue(value, parameter.type) else {
                    throw ClaimProblem(message: "the token's \(parameter.claim) claim is not a valid \(parameter.type.rawValue)")
                }
                return converted
            }
            if parameter.isList {
                guard case .array(let items) = claim else {
                    throw ClaimProblem(message: "the token's \(parameter.claim) claim must be a list of \(parameter.type.rawValue)")
                }
                var converted: [SQLValue] = []
                for item in items { converted.append(try convert(item)) }
                values[parameter.name] = .list(converted)
            } else {
                values[parameter.name] = .single(try convert(claim))
            }
        }
        self.values = values
    }

    /// A stable text of the values, so a cursor can tell when the caller's claims changed.
    var fingerprint: String {
        values.keys.sorted().map { name -> String in
            switch values[name]! {
            case .single(let value): "\(name)=\(value)"
            case .list(let items): "\(name)=[\(items.map(\.description).joined(separator: ","))]"
            }
        }.joined(separator: "\n")
    }
}
