import Foundation

/// Checks literal values (defaults and filter constants) against field types.
enum ValueChecker {
    /// Why a value doesn't fit a type.
    enum Mismatch {
        /// The value has the wrong kind; the message says what was expected.
        case wrongKind(String)
        /// A string that is not one of the enum's cases.
        case unknownCase(String, cases: [String])
    }

    /// Checks `value` against `type`; nil when it fits.
    static func check(_ value: SchemaValue, against type: FieldType) -> Mismatch? {
        switch type {
        case .enumeration(let cases):
            guard case .string(let text) = value else { return .wrongKind("a case of the enum, as a string") }
            return cases.contains(text) ? nil : .unknownCase(text, cases: cases)
        case .scalar(let scalar):
            return check(value, against: scalar)
        }
    }

    private static func check(_ value: SchemaValue, against scalar: ScalarType) -> Mismatch? {
        switch (scalar, value) {
        case (.string, .string), (.int, .int), (.double, .int), (.double, .number), (.decimal, .int),
             (.decimal, .number), (.bool, .bool):
            return nil
        case (.uuid, .string(let text)):
            return UUID(uuidString: text) == nil ? .wrongKind("a UUID string such as \"8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e2\"") : nil
        case (.date, .string(let text)):
            return isDate(text) ? nil : .wrongKind("a date string such as \"2024-01-31\"")
        case (.timestamp, .string(let text)):
            return isTimestamp(text) ? nil : .wrongKind("a timestamp string such as \"2024-01-31T09:30:00Z\"")
        case (.string, _): return .wrongKind("a string")
        case (.int, _): return .wrongKind("an integer")
        case (.double, _), (.decimal, _): return .wrongKind("a number")
        case (.bool, _): return .wrongKind("true or false")
        case (.uuid, _): return .wrongKind("a UUID string")
        case (.date, _): return .wrongKind("a date string such as \"2024-01-31\"")
        case (.timestamp, _): return .wrongKind("a timestamp string such as \"2024-01-31T09:30:00Z\"")
        case (.blob, _), (.json, _), (.attachment, _): return .wrongKind("no literal: \(scalar.rawValue) values can't be written in a schema")
        }
    }

    /// `YYYY-MM-DD` with a real month and day.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1
        else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    /// ISO 8601: a date, `T`, `HH:MM[:SS[.fraction]]`, and `Z` or `±HH:MM`.
    static func isTimestamp(_ text: String) -> Bool {
        guard text.count >= 17, let tIndex = text.firstIndex(where: { $0 == "T" || $0 == "t" }),
              isDate(String(text[..<tIndex]))
        else { return false }
        var rest = Substring(text[text.index(after: tIndex)...])
        var zone = ""
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            rest = rest.dropLast()
        } else if rest.count > 6, let sign = rest.dropLast(5).last, sign == "+" || sign == "-" {
            zone = String(rest.suffix(5))
            rest = rest.dropLast(6)
        } else {
            return false
        }
        if !zone.isEmpty, !isClock(zone, allowSeconds: false) { return false }
        var clock = rest
        if let dot = rest.firstIndex(of: ".") {
            let fraction = rest[rest.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            clock = rest[..<dot]
        }
        return isClock(String(clock), allowSeconds: true)
    }

    private static func isClock(_ text: String, allowSeconds: Bool) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || (allowSeconds && parts.count == 3),
              parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hours = Int(parts[0]), let minutes = Int(parts[1]), hours < 24, minutes < 60
        else { return false }
        return parts.count == 2 || Int(parts[2])! < 61
    }

    /// Reads a YAML default as a value for `type`: plain `true`/`false`, numbers and
    /// `null` keep their YAML meaning; everything else is a string.
    static func defaultValue(_ scalar: SyntaxNode.Scalar, for type: FieldType) -> SchemaValue {
        if scalar.isNull { return .null }
        guard scalar.style == .plain else { return .string(scalar.text) }
        switch type.storage {
        case .bool:
            if ["true", "false"].contains(scalar.text) { return .bool(scalar.text == "true") }
        case .int:
            if let value = Int64(scalar.text) { return .int(value) }
        case .double, .decimal:
            if let value = Int64(scalar.text) { return .int(value) }
            if Double(scalar.text) != nil, scalar.text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) {
                return .number(scalar.text)
            }
        default:
            break
        }
        return .string(scalar.text)
    }
}
