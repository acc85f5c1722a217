import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

@Suite("Wire values")
struct WireValueCodecTests {
    /// Tests/Fixtures/wire-values.json, the table the device's tests run through
    /// `ColumnType` too: both ends accept the same values and write the same forms.
    static let sharedCases: [(type: String, wire: JSONValue, canonical: JSONValue?, why: String)] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appending(path: "../../../Tests/Fixtures/wire-values.json").standardized
        guard let text = try? String(contentsOf: url, encoding: .utf8),
              case .array(let items) = try? JSONValue(jsonText: text) else { return [] }
        return items.compactMap { item in
            guard case .object(let members) = item, let type = members["type"]?.stringValue,
                  let wire = members["wire"], let why = members["why"]?.stringValue else { return nil }
            return (type, wire, members["canonical"], why)
        }
    }()

    @Test("the server accepts exactly the values the device accepts, in the same canonical form")
    func sharedTable() throws {
        #expect(Self.sharedCases.count >= 40)
        for example in Self.sharedCases {
            let type = try #require(ScalarType(rawValue: example.type))
            let stored = WireValueCodec.scalarValue(example.wire, type)
            let label = "\(example.type) \(example.wire.jsonText): \(example.why)"
            if let canonical = example.canonical {
                let value = try #require(stored, "refused \(label)")
                #expect(WireValueCodec.jsonValue(value, .scalar(type)).jsonText == canonical.jsonText, "\(label)")
            } else {
                #expect(stored == nil, "accepted \(label)")
            }
        }
    }

    @Test("a timestamp in the canonical form is recognized byte by byte", arguments: [
        ("2024-05-01T10:00:00.000Z", true),
        ("1999-12-31T23:59:59.999Z", true),
        ("2024-05-01T10:00:00Z", false),
        ("2024-05-01 10:00:00.000Z", false),
        ("2024-13-01T10:00:00.000Z", false),
        ("2024-00-01T10:00:00.000Z", false),
        ("2024-05-32T10:00:00.000Z", false),
        ("2024-05-00T10:00:00.000Z", false),
        ("2024-05-01T10:00:00.000+", false),
        ("2024-05-01T1a:00:00.000Z", false),
        ("2024-05-01T10:00:00.0000Z", false),
        ("", false),
    ])
    func canonicalForm(_ text: String, _ isCanonical: Bool) {
        var text = text
        #expect(text.withUTF8 { WireValueRules.isCanonicalTimestamp($0) } == isCanonical)
    }

    @Test("a date is YYYY-MM-DD with a month and a day in range", arguments: [
        ("2024-05-01", true), ("1999-12-31", true), ("2024-13-01", false), ("2024-00-10", false),
        ("2024-05-32", false), ("2024-05-00", false), ("2024/05/01", false), ("2024-5-01", false),
        ("2024-05-0a", false), ("2024-05-011", false), ("", false),
    ])
    func dates(_ text: String, _ isDate: Bool) {
        #expect(WireValueRules.isDate(text) == isDate)
    }

    @Test("any ISO 8601 timestamp with an offset is brought to the canonical form", arguments: [
        ("2024-05-01T10:00:00.000Z", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z"),
        ("2024-05-01 10:00:00.250Z", "2024-05-01T10:00:00.250Z"),
        ("2024-05-01T12:00:00.000+02:00", "2024-05-01T10:00:00.000Z"),
    ])
    func canonicalized(_ text: String, _ canonical: String) {
        #expect(WireValueRules.canonicalTimestamp(text) == canonical)
    }

    @Test("text that isn't a timestamp with an offset has no canonical form", arguments: [
        "2024-13-01T10:00:00.000Z", "yesterday", "2024-05-01T10:00:00", "",
    ])
    func notTimestamps(_ text: String) {
        #expect(WireValueRules.canonicalTimestamp(text) == nil)
    }

    /// Rows written by other systems may hold timestamps in other forms; a pull sends
    /// every one in the canonical form, whether the page is written from SQLite's
    /// buffers or through values.
    @Test("timestamps written by SQL in other forms are pulled in the canonical form")
    func pulledTimestamps() async throws {
        let schemaText = """
            syncwright: 1
            name: Visits
            entities:
              Visit:
                fields:
                  id: int
                  at: timestamp
            subsets:
              everyone:
                entities:
                  Visit: { access: read-only }
            """
        let result = SchemaLoader.load(SchemaFile(path: "visits.yaml", text: schemaText))
        let schema = try #require(result.model, "\(result.diagnostics)")
        let database = try await TestDatabases.make(.sqlite)
        let service = SyncService(schema: schema, database: database, logger: TestDatabases.logger)
        try await service.prepare()
        let table = database.dialect.quote(try #require(schema.entity(named: "Visit")).tableName)
        try await database.write { connection in
            try await connection.execute("""
                INSERT INTO \(table) (id, at) VALUES (1, '2024-05-01T10:00:00.000Z'), (2, '2024-05-01 10:00:00'),
                (3, '2024-05-01T12:30:00.5+02:00'), (4, '2024-05-01T10:00:00Z')
                """, [])
        }
        let request = PullRequest(subset: "everyone", schemaHash: schema.schemaHash, units: ["Visit": nil], limit: 10)
        let throughValues = try await service.pull(request, claims: [:])
        let fromBuffers = try PullResponseDecoder.decode(try await service.pullJSON(request, claims: [:]).body)
        for page in [throughValues, fromBuffers] {
            let times = Dictionary(uniqueKeysWithValues: page.changes.map { ($0.key, $0.row?["at"]) })
            #expect(times[.integer(1)] == .string("2024-05-01T10:00:00.000Z"))
            #expect(times[.integer(3)] == .string("2024-05-01T10:30:00.500Z"))
            #expect(times[.integer(4)] == .string("2024-05-01T10:00:00.000Z"))
        }
        #expect(throughValues.changes.map(\.row) == fromBuffers.changes.map(\.row))
    }
}
