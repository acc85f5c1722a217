import Foundation
import Testing
@testable import SyncwrightSchema

@Suite("SyncAttachment fields in the schema")
struct AttachmentSchemaTests {
    private func schema(field: String = "photo: attachment?", settings: String = "attachments: eager, maxAttachmentSize: 25 MB",
                        rows: String? = nil, parameter: String = "") -> String {
        """
        syncwright: 1
        name: Shop
        entities:
          Item:
            fields: { id: uuid, owner: uuid, \(field) }
        subsets:
          clerk:
            parameters: { userId: { claim: sub, type: uuid }\(parameter) }
            entities:
              Item: { rows: \(rows ?? "owner == $userId"), access: read-write, \(settings) }
        """
    }

    @Test("the settings reach the model, and the hash only when set")
    func settingsReachTheModel() throws {
        let model = try #require(load(schema()).model)
        let entity = try #require(model.subsets.first?.entity(named: "Item"))
        #expect(entity.attachmentDownload == .eager)
        #expect(entity.maxAttachmentSize == Int64(26_214_400))
        #expect(model.entities[0].fields.last?.type == .scalar(.attachment))
        let plain = try #require(load(schema(settings: "unit: items")).model)
        #expect(plain.subsets[0].entities[0].attachmentDownload == .onDemand)
        #expect(!plain.canonicalDescription.contains("attachments"))
        #expect(model.canonicalDescription.contains("    attachments eager max=26214400"))
    }

    @Test("sizes are bytes or KB, MB, GB as powers of 1024", arguments: [
        ("1", Int64(1)), ("512 KB", Int64(524_288)), ("25MB", Int64(26_214_400)), ("2 GB", Int64(2_147_483_648)), ("10 B", Int64(10)),
    ])
    func sizes(_ text: String, _ bytes: Int64) throws {
        let model = try #require(load(schema(settings: "maxAttachmentSize: \(text)")).model, "\(text)")
        #expect(model.subsets[0].entities[0].maxAttachmentSize == bytes)
    }

    @Test("a bad setting is an error at its value", arguments: [
        ("attachments: sometimes", "invalid-value"), ("maxAttachmentSize: 0", "invalid-value"),
        ("maxAttachmentSize: 3 TB", "invalid-value"), ("maxAttachmentSize: -1 MB", "invalid-value"),
        ("maxAttachmentSize: 2000 GB", "invalid-value"),
    ])
    func badSettings(_ setting: String, _ rule: String) throws {
        let text = schema(settings: setting)
        let result = load(text)
        let diagnostic = try #require(result.diagnostics.first, "\(setting)")
        #expect(diagnostic.ruleID == rule, "\(render(result.diagnostics))")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)[diagnostic.location.line - 1]
        let value = String(setting.split(separator: ":", maxSplits: 1)[1].dropFirst())
        #expect(String(line.dropFirst(diagnostic.location.column - 1)).hasPrefix(value), "\(diagnostic.location)")
    }

    @Test("an attachment can be tested for null, not compared; it can't be a key, a parameter or have a default")
    func notAFilterKeyParameterOrDefault() {
        #expect(load(schema(rows: "owner == $userId and photo is not null")).model != nil)
        #expect(load(schema(rows: "owner == $userId and photo == \"x\"")).diagnostics.contains { $0.severity == .error })
        #expect(load(schema(field: "photo: { type: attachment, default: \"x\" }")).model == nil)
        #expect(load(schema(parameter: ", photo: { claim: photo, type: attachment }")).model == nil)
        let keyed = """
            syncwright: 1
            name: Shop
            entities:
              Item:
                key: photo
                fields: { photo: attachment }
            """
        #expect(load(keyed).model == nil)
    }
}
