import Foundation
import GRDBSQLite
import SyncwrightCore

extension SQLiteServerDatabase: ProvidesWireRowReader {
    var wireRowReader: any WireRowReader { SQLiteWireRowReader(database: self) }
}

/// SQLite's fast path: rows go from SQLite's column buffers to JSON bytes with nothing
/// in between (``SQLiteRowWriter``).
struct SQLiteWireRowReader: WireRowReader {
    let database: SQLiteServerDatabase

    func changes(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan) async throws -> [(sequence: Int64, json: [UInt8])] {
        let writer = SQLiteRowWriter(plan: plan)
        let written = Locked<[(sequence: Int64, json: [UInt8])]>([])
        try await database.readRaw(sql, arguments) { statement in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(256)
            writer.write(statement, to: &bytes)
            let sequence = sqlite3_column_int64(statement, 0)
            written.withValue { $0.append((sequence, bytes)) }
        }
        return written.withValue { $0 }
    }

    func appliedRows(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan,
                     on connection: any SQLConnection) async throws -> [String: AppliedRow] {
        guard let sqlite = connection as? SQLiteServerDatabase.Connection else {
            // A connection of another database: the general path.
            return try await ValueWireRowReader(database: database).appliedRows(sql, arguments, plan: plan, on: connection)
        }
        let writer = SQLiteRowWriter(plan: plan)
        var rows: [String: AppliedRow] = [:]
        try sqlite.queryRaw(sql, arguments) { statement in
            guard let key = sqlite3_column_text(statement, 0) else { return }
            var json: [UInt8] = []
            json.reserveCapacity(256)
            let version = writer.writeRow(statement, from: 2, to: &json)
            rows[String(cString: key)] = AppliedRow(version: version, row: json, inSubset: sqlite3_column_int64(statement, 1) == 1)
        }
        return rows
    }
}
