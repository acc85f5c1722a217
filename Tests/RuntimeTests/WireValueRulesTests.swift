import Foundation
import Testing
import Syncwright

/// One case of Tests/Fixtures/wire-values.json: the same table runs through the server's
/// codec in the Server package's tests, so the device and the server can't disagree.
struct WireValueCase: Sendable, CustomTestStringConvertible {
    var type: String
    var wire: JSONValue
    var canonical: JSONValue?
    var why: String

    var testDescription: String { "\(type) \(wire.jsonText): \(why)" }

    static let all: [WireValueCase] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appending(path: "../Fixtures/wire-values.json").standardized
        guard let text = try? String(contentsOf: url, encoding: .utf8),
              case .array(let items) = try? JSONValue(jsonText: text) else { return [] }
        return items.compactMap { item in
            guard case .object(let members) = item, let type = members["type"]?.stringValue,
                  let wire = members["wire"], let why = members["why"]?.stringValue else { return nil }
            return WireValueCase(type: type, wire: wire, canonical: members["canonical"], why: why)
        }
    }()
}

@Suite("Wire value rules on the device")
struct WireValueRulesTests {
    @Test("the shared table is there and covers every column type")
    func tableLoaded() {
        #expect(WireValueCase.all.count >= 40)
        #expect(Set(WireValueCase.all.map(\.type)) == Set(ColumnType.allCases.map(\.rawValue)).subtracting(["json"]))
    }

    @Test("a pulled value is stored when the rule accepts it, and read back in canonical form", arguments: WireValueCase.all)
    func devicePath(_ example: WireValueCase) throws {
        let type = try #require(ColumnType(rawValue: example.type))
        let stored = try? type.databaseValue(fromWire: example.wire)
        if let canonical = example.canonical {
            let value = try #require(stored, "refused")
            #expect(type.wireValue(fromDatabase: value).jsonText == canonical.jsonText)
        } else {
            #expect(stored == nil, "accepted \(String(describing: stored))")
        }
    }
}
