import Foundation
import Syncwright

/// Writes a pull page as JSON by hand: pages are the server's largest responses and
/// `JSONEncoder` would spend most of a pull's time on them. Keys are written in a fixed
/// order, so equal pages are equal bytes. Values go through the runtime's
/// `JSONTextWriter`, so both ends spell JSON the same way.
enum PullResponseWriter {
    /// A page of rows the database layer already wrote (``WireRowReader``): each row's
    /// members in the plan's (sorted) output order, the same bytes as ``json(_:)`` of
    /// the equivalent response.
    static func json(_ page: PulledPage) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(256 + page.rows.count * 200)
        out.append(contentsOf: #"{"changes":["#.utf8)
        for (index, row) in page.rows.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: row.json)
        }
        out.append(contentsOf: #"],"units":"#.utf8)
        write(.object(page.units.mapValues(JSONValue.string)), to: &out)
        out.append(contentsOf: #","more":"#.utf8)
        out.append(contentsOf: (page.more ? "true" : "false").utf8)
        if let estimate = page.estimate {
            out.append(contentsOf: #","estimate":"#.utf8)
            out.append(contentsOf: String(estimate).utf8)
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    static func json(_ response: PullResponse) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(256 + response.changes.count * 160)
        out.append(contentsOf: #"{"changes":["#.utf8)
        for (index, change) in response.changes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"entity":"#.utf8)
            writeString(change.entity, to: &out)
            out.append(contentsOf: #","op":""#.utf8)
            out.append(contentsOf: change.op.rawValue.utf8)
            out.append(contentsOf: #"","key":"#.utf8)
            write(change.key, to: &out)
            if let row = change.row {
                out.append(contentsOf: #","row":"#.utf8)
                write(.object(row), to: &out)
            }
            if let version = change.version {
                out.append(contentsOf: #","version":"#.utf8)
                out.append(contentsOf: String(version).utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"units":"#.utf8)
        write(.object(response.units.mapValues(JSONValue.string)), to: &out)
        out.append(contentsOf: #","more":"#.utf8)
        out.append(contentsOf: (response.more ? "true" : "false").utf8)
        if let estimate = response.estimate {
            out.append(contentsOf: #","estimate":"#.utf8)
            out.append(contentsOf: String(estimate).utf8)
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    static func write(_ value: JSONValue, to out: inout [UInt8]) { JSONTextWriter.write(value, to: &out) }

    static func writeString(_ text: String, to out: inout [UInt8]) { JSONTextWriter.writeString(text, to: &out) }
}
