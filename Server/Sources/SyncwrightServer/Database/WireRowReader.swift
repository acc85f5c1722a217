import Foundation
import SyncwrightCore
import SyncwrightSchema

/// A row written back after a push: its version, the row object as wire JSON, and
/// whether it is still in the caller's subset. Both dialects answer in this one shape.
struct AppliedRow: Sendable {
    var version: Int64?
    var row: [UInt8]
    var inSubset: Bool
}

/// How a database turns the rows of the sync queries into wire JSON: the server's fast
/// paths live behind it, in the database layer, so the sync logic is written once and
/// never asks which database it talks to.
///
/// SQLite writes each row from its column buffers (``SQLiteRowWriter``); any other
/// database reads values through ``ServerDatabase/read(_:_:)`` or
/// ``SQLConnection/query(_:_:)`` and writes them (``ValueWireRowReader``).
protocol WireRowReader: Sendable {
    /// The rows of a page query (`seq, key, put`, then the plan's select list), each
    /// written as one change object (`{"entity":…,"op":…,"key":…,"row":…,"version":…}`),
    /// with its log sequence number.
    func changes(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan) async throws -> [(sequence: Int64, json: [UInt8])]

    /// The rows of a read-back query (`key as text, in subset`, then the plan's select
    /// list), by key text, run inside the push's transaction.
    func appliedRows(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan,
                     on connection: any SQLConnection) async throws -> [String: AppliedRow]
}

/// A database with a faster way to write the sync queries' rows than through values.
protocol ProvidesWireRowReader {
    var wireRowReader: any WireRowReader { get }
}

extension ServerDatabase {
    /// The reader of this database: its own when it has one, else the one that goes
    /// through values.
    var wireRowReader: any WireRowReader {
        (self as? any ProvidesWireRowReader)?.wireRowReader ?? ValueWireRowReader(database: self)
    }
}

/// Reads the sync queries' rows as ``SQLValue``s and writes them as wire JSON: the path
/// of PostgreSQL and of any other ``ServerDatabase``.
struct ValueWireRowReader: WireRowReader {
    let database: any ServerDatabase

    func changes(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan) async throws -> [(sequence: Int64, json: [UInt8])] {
        try await database.read(sql, arguments).map { values in
            var out: [UInt8] = []
            out.reserveCapacity(256)
            Self.writeChange(values, plan: plan, to: &out)
            return (values[0].integer ?? 0, out)
        }
    }

    func appliedRows(_ sql: String, _ arguments: [SQLValue], plan: EntityPlan,
                     on connection: any SQLConnection) async throws -> [String: AppliedRow] {
        var rows: [String: AppliedRow] = [:]
        for values in try await connection.query(sql, arguments) {
            guard let key = values[0].text else { continue }
            var out: [UInt8] = []
            let version = Self.writeRow(values, from: 2, plan: plan, to: &out)
            rows[key] = AppliedRow(version: version, row: out, inSubset: values[1].integer == 1 || values[1].bool == true)
        }
        return rows
    }

    /// One change from `seq, key, put`, then the select list; the same bytes as
    /// ``SQLiteRowWriter/write(_:to:)`` writes for the same row.
    static func writeChange(_ values: [SQLValue], plan: EntityPlan, to out: inout [UInt8]) {
        out.append(contentsOf: plan.entityPrefix)
        let isPut = values[2].integer == 1
        out.append(contentsOf: (isPut ? #","op":"put","key":"# : #","op":"remove","key":"#).utf8)
        let key = values[1].text ?? ""
        if plan.entity.keyField.type.storage == .int, let integer = Int64(key) {
            out.append(contentsOf: String(integer).utf8)
        } else {
            JSONTextWriter.writeString(key, to: &out)
        }
        if isPut {
            out.append(contentsOf: #","row":"#.utf8)
            if let version = writeRow(values, from: 3, plan: plan, to: &out) {
                out.append(contentsOf: #","version":"#.utf8)
                out.append(contentsOf: String(version).utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The row object of the select list from `first` on, in the plan's (sorted) output
    /// order; returns the version that follows it.
    static func writeRow(_ values: [SQLValue], from first: Int, plan: EntityPlan, to out: inout [UInt8]) -> Int64? {
        out.append(UInt8(ascii: "{"))
        for (position, index) in plan.sortedOutputIndices.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: plan.outputKeys[index])
            JSONTextWriter.write(WireValueCodec.jsonValue(values[first + index], plan.outputs[index].type), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return values[first + plan.outputs.count].integer
    }
}
