import Foundation
import Syncwright

/// Writes a pull page as JSON by hand: pages are the server's largest responses and
/// `JSONEncoder` would spend most of a pull's time on them. Keys are written in a fixed
/// order, so equal pages are equal bytes.
enum PullResponseWriter {
    /// A page straight from its SQL rows: each row's members are written in the plan's
    /// (sorted) output order, the same bytes as ``json(_:)`` of the equivalent response.
    static func json(_ page: PulledPage) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(256 + page.rows.count * 200)
        out.append(contentsOf: #"{"changes":["#.utf8)
        for (index, row) in page.rows.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if let json = row.json {
                out.append(contentsOf: json)
                continue
            }
            out.append(contentsOf: row.plan.entityPrefix)
            if row.isPut {
                out.append(contentsOf: #","op":"put","key":"#.utf8)
                write(row.key, to: &out)
                out.append(contentsOf: #","row":{"#.utf8)
                let outputs = row.plan.outputs
                for (position, index) in row.plan.sortedOutputIndices.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: row.plan.outputKeys[index])
                    write(WireValueCodec.jsonValue(row.values[3 + index], outputs[index].type), to: &out)
                }
                out.append(UInt8(ascii: "}"))
                if let version = row.values[3 + outputs.count].integer {
                    out.append(contentsOf: #","version":"#.utf8)
                    out.append(contentsOf: String(version).utf8)
                }
            } else {
                out.append(contentsOf: #","op":"remove","key":"#.utf8)
                write(row.key, to: &out)
            }
            out.append(UInt8(ascii: "}"))
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

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer): out.append(contentsOf: String(integer).utf8)
        case .number(let number):
            if number.isFinite {
                out.append(contentsOf: (number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) + ".0" : "\(number)").utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, name) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(members[name]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
