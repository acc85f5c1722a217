import Foundation
import Syncwright
import SyncwrightSchema
import SyncwrightServer

extension SimulationWorld {
    /// The keys of an entity's rows on the server, in wire form, in a stable order.
    func serverKeys(_ entityName: String) async throws -> [JSONValue] {
        guard let entity = configuration.schema.entity(named: entityName) else { return [] }
        let dialect = service.database.dialect
        let key = entity.keyField
        let rows = try await service.database.read("""
            SELECT \(dialect.keyText(dialect.quote(key.columnName), key.type.storage)) FROM \(dialect.quote(entity.tableName)) ORDER BY 1
            """, [])
        return rows.compactMap { $0.first?.text }.map { text in
            key.type.storage == .int ? Int64(text).map(JSONValue.integer) ?? .string(text) : .string(text)
        }
    }
}

/// Another system writing straight into the server's tables: a back office
/// reassigning work, renaming a customer, changing a status.
struct SystemWriter {
    let world: SimulationWorld

    func writeOneRow() async throws {
        let schema = world.configuration.schema
        let entities = schema.entities
        let entity = world.draw { entities.randomElement(using: &$0)! }
        let keys = try await world.serverKeys(entity.name)
        let fields = entity.fields.filter { !$0.isServerManaged && $0.name != entity.keyFieldName && $0.type.storage != .json }
        guard !keys.isEmpty, !fields.isEmpty else { return }
        let (key, field) = world.draw { (keys.randomElement(using: &$0)!, fields.randomElement(using: &$0)!) }
        var candidates: [JSONValue] = []
        if let target = field.reference?.targetEntity { candidates = try await world.serverKeys(target) }
        guard let value = world.draw({ SimulatedValues.value(for: field, candidates: candidates, random: &$0) }) else { return }
        let database = world.service.database
        let dialect = database.dialect
        let keyField = entity.keyField
        let table = dialect.quote(entity.tableName)
        let keyColumn = dialect.quote(keyField.columnName)
        let keyArgument = Self.sqlValue(key, type: keyField.type.storage)
        do {
            let version = try await database.write { connection -> Int64? in
                try await connection.execute("""
                    UPDATE \(table) SET \(dialect.quote(field.columnName)) = \(dialect.placeholder(1))\(dialect.cast(for: field.type.storage)) \
                    WHERE \(keyColumn) = \(dialect.placeholder(2))\(dialect.cast(for: keyField.type.storage))
                    """, [Self.sqlValue(value, type: field.type.storage), keyArgument])
                return try await connection.query("""
                    SELECT version FROM \(table) WHERE \(keyColumn) = \(dialect.placeholder(1))\(dialect.cast(for: keyField.type.storage))
                    """, [keyArgument]).first?.first?.integer
            }
            world.recordSystemWrite(row: RowID(entity: entity.name, key: key.jsonText), version: version ?? .max)
            world.count(\.systemWrites)
            world.trace(nil, "another system set \(entity.name) \(key.jsonText) \(field.name)=\(value.jsonText)")
        } catch {
            world.trace(nil, "another system's write of \(entity.name) \(field.name) failed: \(error)")
        }
    }

    static func sqlValue(_ value: JSONValue, type: ScalarType) -> SQLValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let integer): .integer(integer)
        case .number(let number): .real(number)
        case .string(let text): type == .blob ? .blob(Data(base64Encoded: text) ?? Data()) : .text(text)
        default: .text(value.jsonText)
        }
    }
}
