import Foundation
import GRDBSQLite
import Syncwright
import SyncwrightSchema

/// Writes one pulled row (or a pushed row read back) as JSON straight from SQLite's
/// column buffers. Values already in the server's canonical forms (lower-case UUIDs,
/// `…Z` timestamps, text decimals) are copied with escaping only; anything else goes
/// through ``WireValueCodec``.
struct SQLiteRowWriter {
    let plan: EntityPlan

    /// The change for the current row of `statement`: `seq, key, matches`, then the
    /// plan's select list.
    func write(_ statement: OpaquePointer, to out: inout [UInt8]) {
        out.append(contentsOf: plan.entityPrefix)
        let isPut = sqlite3_column_int64(statement, 2) == 1
        out.append(contentsOf: (isPut ? #","op":"put","key":"# : #","op":"remove","key":"#).utf8)
        if plan.entity.keyField.type.storage == .int, sqlite3_column_type(statement, 1) != SQLITE_NULL,
           let key = Int64(String(cString: sqlite3_column_text(statement, 1))) {
            out.append(contentsOf: String(key).utf8)
        } else {
            writeText(statement, 1, to: &out)
        }
        if isPut {
            out.append(contentsOf: #","row":"#.utf8)
            if let version = writeRow(statement, from: 3, to: &out) {
                out.append(contentsOf: #","version":"#.utf8)
                out.append(contentsOf: String(version).utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Writes the row object whose values are the plan's select list from column
    /// `first` on, and returns the version that follows them.
    func writeRow(_ statement: OpaquePointer, from first: Int32, to out: inout [UInt8]) -> Int64? {
        out.append(UInt8(ascii: "{"))
        for (position, index) in plan.sortedOutputIndices.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: plan.outputKeys[index])
            writeValue(statement, first + Int32(index), plan.outputs[index].type, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        let versionColumn = first + Int32(plan.outputs.count)
        guard sqlite3_column_type(statement, versionColumn) == SQLITE_INTEGER else { return nil }
        return sqlite3_column_int64(statement, versionColumn)
    }

    private func writeValue(_ statement: OpaquePointer, _ column: Int32, _ type: FieldType, to out: inout [UInt8]) {
        let storage = sqlite3_column_type(statement, column)
        if storage == SQLITE_NULL {
            out.append(contentsOf: "null".utf8)
            return
        }
        switch (type.storage, storage) {
        case (.int, SQLITE_INTEGER):
            out.append(contentsOf: String(sqlite3_column_int64(statement, column)).utf8)
        case (.bool, SQLITE_INTEGER):
            out.append(contentsOf: (sqlite3_column_int64(statement, column) != 0 ? "true" : "false").utf8)
        case (.string, SQLITE_TEXT), (.decimal, SQLITE_TEXT), (.date, SQLITE_TEXT):
            writeText(statement, column, to: &out)
        case (.uuid, SQLITE_TEXT) where isCanonical(statement, column, uuid: true),
             (.timestamp, SQLITE_TEXT) where isCanonical(statement, column, uuid: false):
            writeText(statement, column, to: &out)
        default:
            // Rare forms (written by other systems, or doubles, blobs and JSON): the
            // general conversion.
            PullResponseWriter.write(WireValueCodec.jsonValue(value(statement, column), type), to: &out)
        }
    }

    private func bytes(_ statement: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let text = sqlite3_column_text(statement, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column)))
    }

    /// A lower-case UUID, or a `YYYY-MM-DDTHH:MM:SS.sssZ` timestamp.
    private func isCanonical(_ statement: OpaquePointer, _ column: Int32, uuid: Bool) -> Bool {
        let text = bytes(statement, column)
        return uuid ? WireValueRules.isCanonicalUUID(text) : WireValueRules.isCanonicalTimestamp(text)
    }

    private func writeText(_ statement: OpaquePointer, _ column: Int32, to out: inout [UInt8]) {
        let text = bytes(statement, column)
        if text.contains(where: { $0 >= 0x80 }) {
            // Text another system wrote may not be UTF-8: invalid sequences become U+FFFD,
            // so the page stays valid JSON.
            let decoded = String(decoding: text, as: UTF8.self)
            if !decoded.utf8.elementsEqual(text) {
                PullResponseWriter.writeString(decoded, to: &out)
                return
            }
        }
        out.append(UInt8(ascii: "\""))
        var start = 0
        for (index, byte) in text.enumerated() where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
            var escaped: [UInt8] = []
            PullResponseWriter.writeString(String(decoding: [byte], as: UTF8.self), to: &escaped)
            out.append(contentsOf: escaped.dropFirst().dropLast())
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
        out.append(UInt8(ascii: "\""))
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT: return .text(String(decoding: bytes(statement, column), as: UTF8.self))
        case SQLITE_BLOB:
            guard let pointer = sqlite3_column_blob(statement, column) else { return .blob(Data()) }
            return .blob(Data(bytes: pointer, count: Int(sqlite3_column_bytes(statement, column))))
        default: return .null
        }
    }
}
