extension Rules {
    /// An `allow:` condition that doesn't parse.
    public enum AllowSyntax: SchemaRule {
        public static let id = "allow-syntax"
        public static let summary = "a subset's allow condition follows the filter grammar over $parameters and literals; the error points at the offending token"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  role: { claim: role, type: string }
                allow: $role ↓= "dispatcher"
                entities:
                  Trip: {}
            """,
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  role: { claim: role, type: string }
                allow: ↓fare > 3
                entities:
                  Trip: {}
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  roles: { claim: roles, type: "[string]" }
                allow: '"dispatcher" in $roles or "owner" in $roles'
                entities:
                  Trip: {}
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// An `allow:` condition whose values don't fit together.
    public enum AllowTypeMismatch: SchemaRule {
        public static let id = "allow-type-mismatch"
        public static let summary = "a subset's allow condition compares each $parameter with values of its type, lists only after 'in', and stands alone only as a bool parameter"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  role: { claim: role, type: string }
                allow: $role == ↓3
                entities:
                  Trip: {}
            """,
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  roles: { claim: roles, type: "[string]" }
                allow: ↓$roles == "dispatcher"
                entities:
                  Trip: {}
            """,
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  role: { claim: role, type: string }
                allow: ↓$role
                entities:
                  Trip: {}
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int }
            subsets:
              office:
                parameters:
                  role: { claim: role, type: string }
                  admin: { claim: admin, type: bool }
                allow: $admin or $role in ["dispatcher", "owner"]
                entities:
                  Trip: {}
            """,
        ]

        static func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
            make(message, at: location)
        }
    }

    /// A subset any signed-in user may read, with rows that don't depend on who asks.
    public enum SubsetOpenToAll: SchemaRule {
        public static let id = "subset-open-to-all"
        public static let summary = "a subset without 'allow' whose entity's rows don't depend on any parameter gives every signed-in user all of those rows"
        public static let severity = Diagnostic.Severity.warning
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int, driverId: uuid }
            subsets:
              office:
                entities:
                  ↓Trip: {}
            """,
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int, driverId: uuid }
              Rate:
                fields: { id: uuid, amount: int }
            subsets:
              driver:
                parameters:
                  me: { claim: sub, type: uuid }
                entities:
                  Trip:
                    rows: driverId == $me
                  ↓Rate:
                    rows: amount > 0
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Taxi
            entities:
              Trip:
                fields: { id: uuid, fare: int, driverId: uuid }
            subsets:
              driver:
                parameters:
                  me: { claim: sub, type: uuid }
                entities:
                  Trip:
                    rows: driverId == $me
              office:
                parameters:
                  role: { claim: role, type: string }
                allow: $role == "dispatcher"
                entities:
                  Trip: {}
            """,
        ]

        static func diagnostic(entity: String, subset: String, at location: SourceLocation) -> Diagnostic {
            make("every signed-in user can read all rows of \(entity) in subset '\(subset)'; add 'allow:' to say who may use the subset, or a filter on a $parameter",
                 at: location)
        }
    }

    /// A filter whose rows can't be filed by the caller's parameter values alone.
    public enum FilterNotBucketed: SchemaRule {
        public static let id = "filter-not-bucketed"
        public static let summary = "a filter that compares a $parameter other than with '==' or 'in' (or under 'not', or on a double or decimal) makes every pull list that branch's buckets"
        public static let severity = Diagnostic.Severity.warning
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, level: int }
            subsets:
              clerk:
                parameters:
                  level: { claim: level, type: int }
                entities:
                  Item:
                    rows: ↓level <= $level
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, ownerId: uuid, shared: bool }
            subsets:
              clerk:
                parameters:
                  me: { claim: sub, type: uuid }
                entities:
                  Item:
                    rows: ownerId == $me or shared
            """,
        ]

        static func diagnostic(_ binding: String, entity: String, at location: SourceLocation) -> Diagnostic {
            make("'\(binding)' can't pick the caller's buckets of \(entity) from its parameters: every pull lists all of "
                 + "that branch's buckets (one per distinct value) and compares them; prefer '==' or 'in' with a parameter",
                 at: location)
        }
    }

    /// A filter with too many branches once rewritten as an `or` of `and`s.
    public enum FilterTooComplex: SchemaRule {
        public static let id = "filter-too-complex"
        public static let summary = "a filter may have at most 32 branches once rewritten as an 'or' of 'and's"
        public static let triggeringExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, a: int, b: int, c: int, d: int, e: int, f: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: ↓(a == 1 or a == 2) and (b == 1 or b == 2) and (c == 1 or c == 2) and (d == 1 or d == 2) and (e == 1 or e == 2) and (f == 1 or f == 2)
            """,
        ]
        public static let passingExamples = [
            """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, a: int, b: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: (a == 1 or a == 2) and (b == 1 or b == 2)
            """,
        ]

        static func diagnostic(at location: SourceLocation) -> Diagnostic {
            make("the filter has more than \(SubsetEntity.maximumBucketBranches) branches once rewritten as an 'or' of 'and's; "
                 + "use 'in [...]' lists instead of chains of 'or'", at: location)
        }
    }
}
