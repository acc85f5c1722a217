import Foundation
import Syncwright
import SyncwrightSchema

/// The refused ops of one push, so that a later op needing one of them is refused with
/// it (`depends_on_rejected`) instead of failing on its own with whatever error it hits:
/// a later op on the same row, or one whose reference points at a row a refused insert
/// would have made. Every dependent names the first refusal of its chain, the one the
/// user acts on.
struct RefusedDependencies {
    /// Rows with a refused op, by row id: the op id of the refusal that started it.
    private var refusedRows: [String: String] = [:]
    /// Rows a refused insert would have made, by row id: the same.
    private var missingRows: [String: String] = [:]

    var isEmpty: Bool { refusedRows.isEmpty }

    /// A row's id in the push: the entity and the key as text (a uuid in lower case, as
    /// the server stores it).
    static func rowID(_ entity: String, _ key: JSONValue, _ type: ScalarType?) -> String {
        if type == .uuid, case .string(let text) = key { return entity + "\u{1}" + text.lowercased() }
        if case .string(let text) = key { return entity + "\u{1}" + text }
        return entity + "\u{1}" + key.jsonText
    }

    /// The rows `op`'s references point at (none for a delete).
    static func references(of op: PushOperation, _ referenceFields: [Field]) -> [String] {
        guard !referenceFields.isEmpty, let values = op.values, op.kind != .delete else { return [] }
        var references: [String] = []
        for field in referenceFields {
            guard let reference = field.reference, let value = values[field.name], value != .null else { continue }
            references.append(rowID(reference.targetEntity, value, field.type.storage))
        }
        return references
    }

    /// The row `op` writes.
    static func ownRow(of op: PushOperation, _ entity: Entity?) -> String {
        rowID(op.entity, op.key, entity?.keyField.type.storage)
    }

    /// The op id of the refusal an op on `own` pointing at `references` depends on, if any.
    func cause(own: String, references: [String]) -> String? {
        if let cause = refusedRows[own] { return cause }
        for reference in references {
            if let cause = missingRows[reference] { return cause }
        }
        return nil
    }

    /// Notes `op`'s result: a refusal makes its row one later ops depend on.
    mutating func record(_ op: PushOperation, _ entity: Entity?, result: PushResult) {
        guard result.status == .rejected else { return }
        let own = Self.ownRow(of: op, entity)
        let cause = result.dependsOn ?? result.opId
        if refusedRows[own] == nil { refusedRows[own] = cause }
        if op.kind == .insert, missingRows[own] == nil { missingRows[own] = cause }
    }
}
