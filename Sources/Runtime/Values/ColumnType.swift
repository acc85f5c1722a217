import Foundation
import GRDB

/// The type of a synced column, as the schema declares it. It decides how a value is
/// written on the wire and stored in SQLite.
///
/// | type | wire (JSON) | SQLite |
/// |---|---|---|
/// | string | string | TEXT |
/// | int | integer | INTEGER |
/// | double | number | REAL |
/// | decimal | string, exact | TEXT |
/// | bool | true / false | INTEGER 0 / 1 |
/// | uuid | string | BLOB, 16 bytes (GRDB's own encoding of `UUID`) |
/// | date | "YYYY-MM-DD" | TEXT |
/// | timestamp | ISO 8601 with milliseconds, UTC | TEXT "YYYY-MM-DD HH:MM:SS.SSS" (GRDB's format) |
/// | blob | base64 string | BLOB |
/// | json | any JSON value | TEXT (JSON) |
public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable {
    case string, int, double, decimal, bool, uuid, date, timestamp, blob, json

    /// The column's SQLite type.
    public var sqlType: String {
        switch self {
        case .int, .bool: "INTEGER"
        case .double: "REAL"
        case .blob, .uuid: "BLOB"
        case .string, .decimal, .date, .timestamp, .json: "TEXT"
        }
    }

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
            guard Self.isDecimal(text) else { break }
            return text.databaseValue
        case (.decimal, .integer(let integer)):
            return String(integer).databaseValue
        case (.bool, .bool(let flag)):
            return flag.databaseValue
        case (.uuid, .string(let text)):
            guard let bytes = Self.uuidBytes(text) else { break }
            return bytes.databaseValue
        case (.date, .string(let text)):
            guard Self.isDate(text) else { break }
            return text.databaseValue
        case (.timestamp, .string(let text)):
            guard let stored = TimestampFormat.storageText(fromWire: text) else { break }
            return stored.databaseValue
        case (.blob, .string(let text)):
            guard let data = Data(base64Encoded: text) else { break }
            return data.databaseValue
        case (.json, _):
            return value.jsonText.databaseValue
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
            case .uuid: return .string(UUID(uuidString: text)?.uuidString.lowercased() ?? text)
            default: return .string(text)
            }
        case .blob(let data):
            switch self {
            case .uuid where data.count == 16:
                return .string(Self.uuidText(data))
            default:
                return .string(data.base64EncodedString())
            }
        }
    }

    /// 16 bytes as a UUID in lowercase hex digits, `8-4-4-4-12`.
    static func uuidText(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { target in
            var position = 0
            for (index, byte) in data.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    target[position] = UInt8(ascii: "-")
                    position += 1
                }
                target[position] = digits[Int(byte >> 4)]
                target[position + 1] = digits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }

    /// The 16 bytes of a UUID written `8-4-4-4-12` in hex digits of either case, as
    /// GRDB stores a `UUID`; nil for anything else. Faster than `UUID(uuidString:)`,
    /// which matters on the pull path.
    static func uuidBytes(_ text: String) -> Data? {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        var index = 0
        var nibble = 0
        for byte in utf8 {
            defer { index += 1 }
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case 48...57: value = byte - 48
            case 97...102: value = byte - 87
            case 65...70: value = byte - 55
            default: return nil
            }
            bytes[nibble / 2] |= nibble % 2 == 0 ? value << 4 : value
            nibble += 1
        }
        return Data(bytes)
    }

    static func isDate(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return false }
        return utf8.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (48...57).contains($0.element) }
    }

    /// Whether `text` is a decimal as the wire writes one: an optional `-`, digits and at
    /// most one `.`. The reference server checks pushed values with it too.
    @_spi(Server) public static func isDecimal(_ text: String) -> Bool {
        var seenDigit = false
        var seenPoint = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where index == 0: continue
            case UInt8(ascii: "."):
                if seenPoint { return false }
                seenPoint = true
            case 48...57: seenDigit = true
            default: return false
            }
        }
        return seenDigit
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
    /// `2024-01-31T09:30:00.125Z` (or `+02:00`) → `2024-01-31 09:30:00.125` (UTC).
    static func storageText(fromWire text: String) -> String? {
        if let fast = storageTextOfCanonicalUTC(text) { return fast }
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") else { return nil }
        if bytes.last == UInt8(ascii: "Z") {
            // The common case needs no calendar: reshape the text.
            let body = bytes[0..<(bytes.count - 1)]
            guard body.count >= 19, ColumnType.isDate(String(decoding: body[0..<10], as: UTF8.self)) else { return nil }
            var clock = String(decoding: body[11...], as: UTF8.self)
            if let dot = clock.firstIndex(of: ".") {
                let fraction = clock[clock.index(after: dot)...]
                guard !fraction.isEmpty, fraction.allSatisfy(\.isNumber) else { return nil }
                clock = String(clock[..<dot]) + "." + String((fraction + "000").prefix(3))
            } else {
                clock += ".000"
            }
            guard clock.count == 12, clock.utf8.enumerated().allSatisfy({ index, byte in
                index == 2 || index == 5 ? byte == UInt8(ascii: ":") : index == 8 ? byte == UInt8(ascii: ".") : (48...57).contains(byte)
            }) else { return nil }
            return String(decoding: body[0..<10], as: UTF8.self) + " " + clock
        }
        // Other offsets are rare; parse them properly.
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let fallback = ISO8601DateFormatter()
        guard let date = parser.date(from: text) ?? fallback.date(from: text) else { return nil }
        return Date.databaseFormatter(date)
    }

    /// The wire's own form, `YYYY-MM-DDTHH:MM:SS.sssZ`, reshaped without allocating
    /// anything but the result; nil for any other form.
    private static func storageTextOfCanonicalUTC(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { source -> String? in
            guard source.count == 24, source[23] == UInt8(ascii: "Z"), source[10] == UInt8(ascii: "T") else { return nil }
            for index in 0..<23 {
                let byte = source[index]
                switch index {
                case 4, 7: guard byte == UInt8(ascii: "-") else { return nil }
                case 10: continue
                case 13, 16: guard byte == UInt8(ascii: ":") else { return nil }
                case 19: guard byte == UInt8(ascii: ".") else { return nil }
                default: guard (48...57).contains(byte) else { return nil }
                }
            }
            return String(unsafeUninitializedCapacity: 23) { target in
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

extension Date {
    /// GRDB's storage text for a date: `YYYY-MM-DD HH:MM:SS.SSS` in UTC.
    static func databaseFormatter(_ date: Date) -> String {
        if case .string(let text) = date.databaseValue.storage { return text }
        return ""
    }
}
