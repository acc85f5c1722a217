import Foundation
import Testing

/// Runs the built `syncwright diff`, as a team's CI does.
@Suite("syncwright diff")
struct DiffCommandTests {
    let runner = ValidateCommandTests()

    static let v1 = """
        syncwright: 1
        name: Notes
        entities:
          Note:
            fields: { id: uuid, title: string, body: string? }
        subsets:
          writer:
            parameters: { role: { claim: role, type: string } }
            allow: $role == "writer"
            entities:
              Note: { columns: [id, title, body], access: read-write }
        """

    func schemas(_ old: String, _ new: String) throws -> (URL, URL) {
        (try runner.temporarySchema(old), try runner.temporarySchema(new))
    }

    @Test("a compatible change exits 0 and prints each change located in NEW")
    func compatible() throws {
        let v2 = Self.v1.replacingOccurrences(of: "body: string? }", with: "body: string?, pinned: { type: bool, default: false } }")
        let (old, new) = try schemas(Self.v1, v2)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let run = try runner.syncwright("diff", old.path(), new.path())
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
        #expect(run.standardOutput == "\(new.path()):5:55: compatible: 'Note.pinned' added; rows old apps insert get its default false [field-added]\n"
                    + "downloads: none; every device continues from its cursors\n")
        #expect(run.standardError.contains("0 breaking, 1 compatible change"))
    }

    @Test("a breaking change exits 1 and points into OLD for what was removed")
    func breaking() throws {
        let v2 = Self.v1.replacingOccurrences(of: ", body: string? }", with: " }")
            .replacingOccurrences(of: "[id, title, body]", with: "[id, title]")
        let (old, new) = try schemas(Self.v1, v2)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let run = try runner.syncwright("diff", old.path(), new.path())
        #expect(run.status == 1)
        #expect(run.standardOutput.hasPrefix(
            "\(old.path()):5:40: breaking: subset 'writer' no longer selects 'Note.body', which old apps read [column-removed]\n"))
        #expect(run.standardError.contains("1 breaking, 0 compatible change"))
    }

    @Test("--format github annotates breaking changes as errors and compatible ones as notices")
    func github() throws {
        let v2 = Self.v1.replacingOccurrences(of: "title: string,", with: "title: int,")
            .replacingOccurrences(of: "body: string? }", with: "body: string?, tag: string? }")
        let (old, new) = try schemas(Self.v1, v2)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let run = try runner.syncwright("diff", "--format", "github", old.path(), new.path())
        #expect(run.status == 1)
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("::error file=\(new.path()),line=5,col=25,title=syncwright [field-retyped]::breaking: ") == true)
        #expect(lines.dropFirst().first?.hasPrefix("::notice file=\(new.path()),line=5,col=52,title=syncwright [field-added]::compatible: ") == true)
        // The retyped column makes updated apps download the unit again.
        #expect(lines.last.map(String.init) == "::notice file=\(new.path()),line=11,col=7,title=syncwright [downloads]::writer.Note: apps built against the old schema "
                    + "download nothing, updated apps the whole unit again (the columns of Note changed; updated apps download the unit again)")
    }

    @Test("--format json prints one document with impacts and counts")
    func json() throws {
        let v2 = Self.v1.replacingOccurrences(of: "access: read-write", with: "access: read-only")
        let (old, new) = try schemas(Self.v1, v2)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let run = try runner.syncwright("diff", "--format", "json", old.path(), new.path())
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        #expect(object["breaking"] as? Int == 1)
        #expect(object["compatible"] as? Int == 0)
        let change = try #require((object["changes"] as? [[String: Any]])?.first)
        #expect(change["rule"] as? String == "access-narrowed")
        #expect(change["impact"] as? String == "breaking")
        #expect(change["line"] as? Int == 11)
        #expect(change["column"] as? Int == 7)
    }

    @Test("after the changes, each subset unit a deploy makes devices download, for old and updated apps, in text and JSON")
    func downloads() throws {
        // A narrower filter keeps its bucket ids' form; a new entity in a new unit.
        let v1 = """
            syncwright: 1
            name: Notes
            entities:
              Note:
                fields: { id: uuid, title: string, body: string? }
              Tag:
                fields: { id: uuid, owner: string, label: string }
            subsets:
              writer:
                parameters: { me: { claim: sub, type: string } }
                entities:
                  Note: { columns: [id, title, body], access: read-write, rows: title != "" }
            """
        let v2 = v1.replacingOccurrences(of: "rows: title != \"\" }", with: "rows: title != \"\" and body != \"\" }")
            + "\n      Tag: { rows: owner == $me, unit: labels }\n"
        let (old, new) = try schemas(v1, v2)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let run = try runner.syncwright("diff", old.path(), new.path())
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("downloads (apps built against the old schema; updated apps):"), "\(run.standardOutput)")
        #expect(lines.contains("  \(new.path()):12:7: writer.Note: the difference; the difference (filter of Note changed; "
                               + "the ids of its buckets keep their form, so it is filed as the difference)"), "\(run.standardOutput)")
        #expect(lines.contains("  \(new.path()):13:7: writer.labels: no such unit; the whole new unit (a new unit; updated apps download it)"),
                "\(run.standardOutput)")
        #expect(lines.contains { $0.contains("note: every app, old or new, receives the difference") })

        let json = try runner.syncwright("diff", "--format", "json", old.path(), new.path())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let downloads = try #require(object["downloads"] as? [[String: Any]])
        #expect(downloads.map { $0["unit"] as? String } == ["Note", "labels"])
        #expect(downloads.map { $0["oldApps"] as? String } == ["difference", nil])
        #expect(downloads.map { $0["updatedApps"] as? String } == ["difference", "new"])

        // --quiet prints the changes only.
        let quiet = try runner.syncwright("diff", "--quiet", old.path(), new.path())
        #expect(!quiet.standardOutput.contains("downloads"))
    }

    @Test("an unreadable file, an invalid schema and a missing argument exit 2")
    func usage() throws {
        let broken = Self.v1.replacingOccurrences(of: "title: string", with: "title: strng")
        let (old, new) = try schemas(Self.v1, broken)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let missing = try runner.syncwright("diff", old.path(), "/nonexistent/schema.yaml")
        #expect(missing.status == 2)
        #expect(missing.standardOutput.isEmpty)
        let invalid = try runner.syncwright("diff", old.path(), new.path())
        #expect(invalid.status == 2)
        #expect(invalid.standardError.contains("\(new.path()):5:32: error: unknown type 'strng'"))
        #expect(invalid.standardError.contains("is not a valid schema"))
        let usage = try runner.syncwright("diff", old.path())
        #expect(usage.status == 2)
    }
}
