/// Resolves dotted paths such as `workOrder.assigneeId` against the entities, for row
/// filters and includes alike.
struct FieldPathResolver {
    /// Why a path didn't resolve, and which component is at fault.
    struct Failure: Error {
        var message: String
        var componentIndex: Int
    }

    let entities: [String: Entity]

    /// Resolves `components` starting at `root`.
    ///
    /// - Returns: nil when the path runs into an entity that failed to resolve itself
    ///   (its own diagnostics already explain why).
    func resolve(_ components: [String], from root: Entity) -> Result<FieldPath, Failure>? {
        var current = root
        var hops: [FieldPath.Hop] = []
        for (index, name) in components.enumerated() {
            let isLast = index == components.count - 1
            if !isLast {
                if let reference = current.reference(named: name), let relation = reference.reference {
                    guard let target = entities[relation.targetEntity] else { return nil }
                    hops.append(.init(relationName: name, fieldName: reference.name, targetEntity: target.name,
                                      isNullable: reference.isNullable))
                    current = target
                    continue
                }
                if current.field(named: name) != nil {
                    return .failure(Failure(
                        message: "'\(name)' is a field of '\(current.name)', not a reference; only to-one references can be followed with '.'",
                        componentIndex: index))
                }
                let relations = current.fields.compactMap(\.reference?.relationName)
                return .failure(Failure(
                    message: "'\(current.name)' has no reference '\(name)'" + Self.suggestion(name, relations),
                    componentIndex: index))
            }
            if let field = current.field(named: name) {
                return .success(FieldPath(
                    rootEntity: root.name, hops: hops, fieldEntity: current.name, fieldName: field.name,
                    type: field.type, isNullable: field.isNullable || hops.contains { $0.isNullable }))
            }
            if let reference = current.reference(named: name) {
                return .failure(Failure(
                    message: "'\(name)' is a reference; use '\(reference.name)' for its key, or follow it, as in '\(name).<field>'",
                    componentIndex: index))
            }
            let names = current.fields.map(\.name) + current.serverManagedFields.map(\.name)
            return .failure(Failure(
                message: "'\(current.name)' has no field '\(name)'" + Self.suggestion(name, names),
                componentIndex: index))
        }
        return nil
    }

    private static func suggestion(_ name: String, _ candidates: [String]) -> String {
        NameSuggestion.closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
