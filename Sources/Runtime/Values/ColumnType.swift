import Foundation
import GRDB

/// The type of a synced column: the schema's `ScalarType` (module SyncwrightCore), which
/// says how a value is written on the wire and stored in SQLite (`localSQLType`).
public typealias ColumnType = ScalarType

extension ScalarType {
    /// Converts a wire value to the value stored in SQLite.
    ///
    /// - Throws: ``SyncValueError`` when the value doesn't fit the type.
    public func databaseValue(fromWire value: JSONValue) throws(SyncValueError) -> DatabaseValue {
        if case .null = value { return .null }
        switch (self, value) {
        case (.string, .string(let text)):
            return text.databaseValue
        case (.int, _):
            guard let integer = value.integerValue else { break }
            return integer.databaseValue
        case (.double, .integer(let integer)):
            return Double(integer).databaseValue
        case (.double, .number(let number)):
            return number.databaseValue
        case (.decimal, .string(let text)):
            guard WireValueRules.isDecimal(text) else { break }
            return text.databaseValue
        case (.decimal, .integer(let integer)):
            return String(integer).databaseValue
        case (.bool, .bool(let flag)):
            return flag.databaseValue
        case (.uuid, .string(let text)):
            guard let bytes = WireValueRules.uuidBytes(text) else { break }
            return bytes.databaseValue
        case (.date, .string(let text)):
            guard WireValueRules.isDate(text) else { break }
            return text.databaseValue
        case (.timestamp, .string(let text)):
            guard let stored = TimestampFormat.storageText(fromWire: text) else { break }
            return stored.databaseValue
        case (.blob, .string(let text)):
            guard let data = WireValueRules.blobBytes(fromBase64: text) else { break }
            return data.databaseValue
        case (.json, _):
            return value.jsonText.databaseValue
        case (.attachment, .string(let text)):
            guard let canonical = WireValueRules.canonicalAttachment(text) else { break }
            return canonical.databaseValue
        default:
            break
        }
        throw SyncValueError(type: self, value: value)
    }

    /// Converts a value stored in SQLite to its wire form.
    public func wireValue(fromDatabase value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null:
            return .null
        case .int64(let integer):
            switch self {
            case .bool: return .bool(integer != 0)
            case .double: return .number(Double(integer))
            case .decimal: return .string(String(integer))
            default: return .integer(integer)
            }
        case .double(let number):
            return self == .decimal ? .string(String(number)) : .number(number)
        case .string(let text):
            switch self {
            case .timestamp: return .string(TimestampFormat.wireText(fromStorage: text) ?? text)
            case .json: return (try? JSONValue(jsonText: text)) ?? .string(text)
            case .uuid: return .string(WireValueRules.canonicalUUID(text) ?? text)
            default: return .string(text)
            }
        case .blob(let data):
            switch self {
            case .uuid where data.count == 16:
                return .string(WireValueRules.uuidText(data))
            default:
                return .string(data.base64EncodedString())
            }
        }
    }
}

/// A wire value that doesn't fit its column's type.
public struct SyncValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The column's type.
    public var type: ColumnType
    /// The value received.
    public var value: JSONValue

    public var description: String { "\(value) is not a valid \(type.rawValue)" }
}

/// Timestamps: ISO 8601 with milliseconds on the wire, GRDB's UTC text in SQLite.
enum TimestampFormat {
    /// `2024-01-31T09:30:00.125Z` (or `+02:00`) → `2024-01-31 09:30:00.125` (UTC): the
    /// wire's rule (``WireValueRules/canonicalTimestamp(_:)``), then GRDB's shape.
    static func storageText(fromWire text: String) -> String? {
        guard var canonical = WireValueRules.canonicalTimestamp(text) else { return nil }
        return canonical.withUTF8 { source in
            String(unsafeUninitializedCapacity: 23) { target in
                for index in 0..<23 { target[index] = index == 10 ? UInt8(ascii: " ") : source[index] }
                return 23
            }
        }
    }

    /// `2024-01-31 09:30:00.125` → `2024-01-31T09:30:00.125Z`.
    static func wireText(fromStorage text: String) -> String? {
        var text = text
        return text.withUTF8 { source -> String? in
            guard source.count == 23, source[10] == UInt8(ascii: " ") else { return nil }
            return String(unsafeUninitializedCapacity: 24) { target in
                for index in 0..<23 { target[index] = index == 10 ? UInt8(ascii: "T") : source[index] }
                target[23] = UInt8(ascii: "Z")
                return 24
            }
        }
    }
}
