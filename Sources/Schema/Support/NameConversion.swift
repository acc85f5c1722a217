/// How schema names become SQL and Swift names.
public enum NameConversion {
    /// `WorkOrderLine` → `work_order_line`, `userID` → `user_id`, `URLPath` → `url_path`.
    public static func snakeCase(_ name: String) -> String {
        let scalars = Array(name.unicodeScalars)
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            let isUpper = scalar.properties.isUppercase
            if isUpper, index > 0 {
                let previous = scalars[index - 1]
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                let previousIsLowerOrDigit = previous.properties.isLowercase || ("0"..."9").contains(previous)
                let startsWord = previous.properties.isUppercase && (next?.properties.isLowercase ?? false)
                if (previousIsLowerOrDigit || startsWord), previous != "_" {
                    result.append("_")
                }
            }
            result.append(contentsOf: String(scalar).lowercased().unicodeScalars)
        }
        return String(result)
    }

    /// `technician` → `Technician`: the first letter upper-cased.
    public static func upperCamelCase(_ name: String) -> String {
        guard let first = name.first else { return name }
        return first.uppercased() + name.dropFirst()
    }

    /// `Status` → `status`: the first letter lower-cased.
    public static func lowerCamelCase(_ name: String) -> String {
        guard let first = name.first else { return name }
        return first.lowercased() + name.dropFirst()
    }

    /// Whether `name` is a schema identifier: an ASCII letter, then ASCII letters,
    /// digits and underscores.
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

/// Names that generated Swift code cannot use, even with backticks.
enum SwiftNames {
    /// Member names Swift reserves for metatypes: `Foo.Type` and `Foo.Protocol` can't
    /// name a property or an enum case.
    static let reservedMemberNames: Set<String> = ["Type", "Protocol"]

    /// Type names that would shadow a type the generated code uses.
    static let reservedTypeNames: Set<String> = [
        "Any", "AnyObject", "Array", "Bool", "Codable", "Data", "Date", "Decimal", "Dictionary", "Double",
        "Equatable", "Error", "Float", "Foundation", "Hashable", "Identifiable", "Int", "Int64", "Never",
        "Optional", "Result", "Self", "Sendable", "Set", "String", "Swift", "Syncwright", "Type", "UUID", "Void",
        "GRDB", "Database", "Row", "Columns", "SyncDate", "SyncUnit", "SyncModel", "SyncColumn",
    ]

    /// Names an enum field's nested type can't take: a nested type shadows, inside its
    /// entity, the types the generated members use (or collides with `Columns` and `Sync`).
    static let reservedNestedTypeNames: Set<String> = reservedTypeNames.union(["Column", "JSONValue", "Sync"])
}
