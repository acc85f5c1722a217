extension Rules {
    /// A row filter that doesn't parse.
    public enum FilterSyntax: SchemaRule {
        public static let id = "filter-syntax"
        public static let summary = "a row filter must follow the filter grammar; the error points at the offending token"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: price > 3 and ↓and title == "x"
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: "price ↓= 3"
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: >
                      price > 3 and
                      (price < 10↓
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: (price > 3 and price < 10) or title == 'free'
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// A filter path that doesn't resolve.
    public enum FilterUnknownField: SchemaRule {
        public static let id = "filter-unknown-field"
        public static let summary = "a filter path must name fields, following only to-one references with '.'"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: string }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: ↓ownr == "me"
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, region: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    rows: customer.↓regoin == "north"
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, region: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    rows: customer.region == "north" and customerId is not null
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// Operands of the wrong type.
    public enum FilterTypeMismatch: SchemaRule {
        public static let id = "filter-type-mismatch"
        public static let summary = "each comparison's operand must have the field's type; 'in' needs a list; a bare condition must be a bool"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: price > ↓"cheap"
            """,
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: uuid }
            subsets:
              clerk:
                parameters:
                  region: { claim: region, type: string }
                entities:
                  Item:
                    rows: owner == ↓$region
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: decimal, owner: uuid, active: bool, due: date? }
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                entities:
                  Item:
                    rows: price > 2.5 and owner == $userId and active and due >= "2024-01-31"
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// A `$parameter` the subset doesn't declare.
    public enum UnknownParameter: SchemaRule {
        public static let id = "unknown-parameter"
        public static let summary = "a filter's $parameters must be declared under the subset's 'parameters'"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: uuid }
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                entities:
                  Item:
                    rows: owner == ↓$usrId
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: uuid }
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                entities:
                  Item:
                    rows: owner == $userId
            """,
        ]

        static func diagnostic(_ name: String, subset: String, parameters: [String], at location: SourceLocation) -> Diagnostic {
            let hint = suggestion(name, among: parameters)
            return make("subset '\(subset)' has no parameter '$\(name)'"
                        + hint.replacingOccurrences(of: "mean '", with: "mean '$"), at: location)
        }
    }

    /// `is null` on a field that is never null.
    public enum FilterRedundantNullCheck: SchemaRule {
        public static let id = "filter-redundant-null-check"
        public static let summary = "'is null' and 'is not null' should test a field that can be null"
        public static let severity = Diagnostic.Severity.warning
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: title ↓is not null
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, title: string? }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: title is not null
            """,
        ]

        static func diagnostic(path: String, isNull: Bool, at location: SourceLocation) -> Diagnostic {
            make("'\(path)' is never null, so 'is \(isNull ? "" : "not ")null' is always \(isNull ? "false" : "true")",
                 at: location)
        }
    }

    /// A writable entity whose filter reads a field the device doesn't hold.
    public enum WriteFilterNotEvaluable: SchemaRule {
        public static let id = "write-filter-not-evaluable"
        public static let summary = "a writable entity's rows filter must start each path at one of its selected columns, so the server can check every written row from the row and its to-one chain"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: uuid, title: string }
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                entities:
                  Item:
                    columns: [id, title]
                    rows: ↓owner == $userId
                    access: read-write
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, owner: uuid, title: string }
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                entities:
                  Item:
                    columns: [id, owner, title]
                    rows: owner == $userId
                    access: read-write
            """,
        ]

        static func diagnostic(
            entity: String, access: AccessMode, field: String, at location: SourceLocation, accessLocation: SourceLocation?
        ) -> Diagnostic {
            make("'\(entity)' is \(access.rawValue) but its rows filter reads '\(field)', which is not among its columns; "
                    + "add '\(field)' to the columns so the server can check the rows the device writes",
                 at: location,
                 notes: accessLocation.map { [.init("access is set here", at: $0)] } ?? [])
        }
    }
}
