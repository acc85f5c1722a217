import Foundation
import SyncwrightCore
import SyncwrightSchema

/// Why a value can't be stored in a field.
struct ValueProblem: Error, Sendable {
    /// `type_mismatch`, `null_not_allowed` or `unknown_enum_case`.
    var code: String
    var reason: String
}

/// Converts between wire values (JSON, the schema's field names) and SQL values (the
/// server's canonical storage forms), checking every value against its field's type.
enum WireValueCodec {
    /// The SQL value for a wire value of `field`, or the problem with it.
    static func sqlValue(_ value: JSONValue, for field: Field) throws(ValueProblem) -> SQLValue {
        if case .null = value {
            guard field.isNullable else {
                throw ValueProblem(code: "null_not_allowed", reason: "\(field.name) can't be null")
            }
            return .null
        }
        if case .enumeration(let cases) = field.type {
            guard case .string(let text) = value else { throw mismatch(value, field) }
            guard cases.contains(text) else {
                throw ValueProblem(code: "unknown_enum_case",
                                   reason: "\(field.name): \"\(text)\" is not one of \(cases.joined(separator: ", "))")
            }
            return .text(text)
        }
        guard let converted = scalarValue(value, field.type.storage) else { throw mismatch(value, field) }
        return converted
    }

    private static func mismatch(_ value: JSONValue, _ field: Field) -> ValueProblem {
        var shown = value.jsonText
        if shown.count > 60 { shown = String(shown.prefix(57)) + "..." }
        return ValueProblem(code: "type_mismatch", reason: "\(field.name) is a \(field.type), not \(shown)")
    }

    /// The SQL value of a non-null wire value of a scalar type; nil when it doesn't fit.
    static func scalarValue(_ value: JSONValue, _ type: ScalarType) -> SQLValue? {
        switch (type, value) {
        case (.string, .string(let text)):
            return .text(text)
        case (.int, _):
            return value.integerValue.map(SQLValue.integer)
        case (.double, .integer(let integer)):
            return .real(Double(integer))
        case (.double, .number(let number)):
            return number.isFinite ? .real(number) : nil
        case (.decimal, .string(let text)):
            return WireValueRules.isDecimal(text) ? .text(text) : nil
        case (.decimal, .integer(let integer)):
            return .text(String(integer))
        case (.bool, .bool(let flag)):
            return .bool(flag)
        case (.uuid, .string(let text)):
            return WireValueRules.canonicalUUID(text).map(SQLValue.text)
        case (.date, .string(let text)):
            return WireValueRules.isDate(text) ? .text(text) : nil
        case (.timestamp, .string(let text)):
            return WireValueRules.canonicalTimestamp(text).map(SQLValue.text)
        case (.blob, .string(let text)):
            return WireValueRules.blobBytes(fromBase64: text).map(SQLValue.blob)
        case (.json, _):
            return .text(value.jsonText)
        case (.attachment, .string(let text)):
            return WireValueRules.canonicalAttachment(text).map(SQLValue.text)
        default:
            return nil
        }
    }

    /// The SQL value of a schema literal or a claim, for filters.
    static func sqlValue(_ value: SchemaValue, _ type: ScalarType) -> SQLValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let integer): return type == .double ? .real(Double(integer)) : type == .decimal ? .text(String(integer)) : .integer(integer)
        case .number(let text): return type == .decimal ? .text(text) : .real(Double(text) ?? 0)
        case .string(let text):
            switch type {
            case .uuid: return .text(text.lowercased())
            case .timestamp: return .text(WireValueRules.canonicalTimestamp(text) ?? text)
            default: return .text(text)
            }
        }
    }

    /// The wire value of a value read in canonical form.
    static func jsonValue(_ value: SQLValue, _ type: FieldType) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .integer(let integer):
            switch type.storage {
            case .bool: return .bool(integer != 0)
            case .double: return .number(Double(integer))
            case .decimal, .string: return .string(String(integer))
            default: return .integer(integer)
            }
        case .real(let number):
            switch type.storage {
            case .decimal, .string: return .string(String(number))
            case .int: return .integer(Int64(number))
            default: return .number(number)
            }
        case .text(let text):
            switch type.storage {
            case .json: return (try? JSONValue(jsonText: text)) ?? .string(text)
            case .int: return Int64(text).map(JSONValue.integer) ?? .string(text)
            case .bool: return .bool(text == "1" || text == "true" || text == "t")
            case .double: return Double(text).map(JSONValue.number) ?? .string(text)
            case .blob: return .string(Data(text.utf8).base64EncodedString())
            case .timestamp: return .string(WireValueRules.canonicalTimestamp(text) ?? text)
            default: return .string(text)
            }
        case .blob(let data):
            switch type.storage {
            case .string, .json, .decimal, .date, .uuid, .timestamp: return .string(String(decoding: data, as: UTF8.self))
            default: return .string(data.base64EncodedString())
            }
        }
    }
}
