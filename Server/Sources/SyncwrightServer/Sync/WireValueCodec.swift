import Foundation
@_spi(Server) import Syncwright
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
            return isDecimal(text) ? .text(text) : nil
        case (.decimal, .integer(let integer)):
            return .text(String(integer))
        case (.bool, .bool(let flag)):
            return .bool(flag)
        case (.uuid, .string(let text)):
            return canonicalUUID(text).map(SQLValue.text)
        case (.date, .string(let text)):
            return isDate(text) ? .text(text) : nil
        case (.timestamp, .string(let text)):
            return canonicalTimestamp(text).map(SQLValue.text)
        case (.blob, .string(let text)):
            return Data(base64Encoded: text).map(SQLValue.blob)
        case (.json, _):
            return .text(value.jsonText)
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
            case .timestamp: return .text(canonicalTimestamp(text) ?? text)
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
            case .timestamp: return .string(canonicalTimestamp(text) ?? text)
            default: return .string(text)
            }
        case .blob(let data):
            switch type.storage {
            case .string, .json, .decimal, .date, .uuid, .timestamp: return .string(String(decoding: data, as: UTF8.self))
            default: return .string(data.base64EncodedString())
            }
        }
    }

    /// A UUID in lower case, or nil when `text` isn't one (8-4-4-4-12 hex digits).
    static func canonicalUUID(_ text: String) -> String? {
        var utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var lowered = false
        for index in utf8.indices {
            let byte = utf8[index]
            switch index {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return nil }
            default:
                switch byte {
                case 48...57, 97...102: break
                case 65...70:
                    utf8[index] = byte + 32
                    lowered = true
                default: return nil
                }
            }
        }
        return lowered ? String(decoding: utf8, as: UTF8.self) : text
    }

    /// `YYYY-MM-DD` with month 1–12 and day 1–31.
    static func isDate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isDate($0) }
    }

    /// `YYYY-MM-DD` with month 1–12 and day 1–31, checked byte by byte.
    static func isDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 10 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 7 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(48...57).contains(byte) {
                return false
            }
        }
        func number(at index: Int) -> Int { Int(bytes[index] - 48) * 10 + Int(bytes[index + 1] - 48) }
        return (1...12).contains(number(at: 5)) && (1...31).contains(number(at: 8))
    }

    /// Whether `bytes` are a timestamp in the canonical form `YYYY-MM-DDTHH:MM:SS.sssZ`
    /// (its date checked as `isDate` checks one), byte by byte: pulls check every
    /// timestamp they send.
    static func isCanonicalTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 24, isDate(UnsafeBufferPointer(rebasing: bytes[0..<10])) else { return false }
        for index in 10..<24 {
            let byte = bytes[index]
            switch index {
            case 10: if byte != UInt8(ascii: "T") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            case 19: if byte != UInt8(ascii: ".") { return false }
            case 23: if byte != UInt8(ascii: "Z") { return false }
            default: if !(48...57).contains(byte) { return false }
            }
        }
        return true
    }

    /// The runtime's decimal check, with a bound on the length a server stores.
    static func isDecimal(_ text: String) -> Bool {
        text.utf8.count <= 64 && ColumnType.isDecimal(text)
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ` for any ISO 8601 timestamp with an offset; nil for
    /// anything else.
    static func canonicalTimestamp(_ text: String) -> String? {
        // The canonical form itself, the common case, needs no parsing.
        var text = text
        if text.withUTF8({ isCanonicalTimestamp($0) }) {
            return text
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        guard let date = withFraction.date(from: normalized) ?? plain.date(from: normalized) else { return nil }
        return withFraction.string(from: date)
    }
}
