import Testing
@testable import SyncwrightSchema

/// What a deploy makes devices download, per subset unit, decided from the two schemas.
@Suite("Unit downloads of a deploy")
struct UnitDownloadTests {
    static let base = """
        syncwright: 1
        name: Shop
        entities:
          Order:
            fields: { id: uuid, owner: uuid, state: string, total: int }
          Note:
            fields: { id: uuid, owner: uuid, text: string }
        subsets:
          clerk:
            parameters: { me: { claim: sub, type: uuid } }
            entities:
              Order: { columns: [id, owner, state], rows: owner == $me }
              Note: { rows: owner == $me, unit: notes }
        """

    func plan(_ new: String) throws -> [String: (UnitDownload.Cost?, UnitDownload.Cost?)] {
        let old = try #require(load(Self.base).model)
        let result = load(new, path: "new.yaml")
        let model = try #require(result.model, "\(render(result.diagnostics))")
        return Dictionary(uniqueKeysWithValues: UnitDownload.plan(old: old, new: model).map { ("\($0.subset).\($0.unit)", ($0.oldApps, $0.updatedApps)) })
    }

    @Test("the same schema, or a field no subset selects, costs nothing")
    func nothing() throws {
        let same = try plan(Self.base)
        #expect(same.count == 2 && same.values.allSatisfy { $0.0 == .nothing && $0.1 == .nothing })
        let unselected = try plan(Self.base.replacingOccurrences(of: "total: int }", with: "total: int, rush: bool? }"))
        #expect(unselected.values.allSatisfy { $0.0 == .nothing && $0.1 == .nothing })
    }

    @Test("a column more: updated apps download the unit again, old apps nothing")
    func columns() throws {
        let more = try plan(Self.base.replacingOccurrences(of: "[id, owner, state]", with: "[id, owner, state, total]"))
        #expect(more["clerk.Order"]! == (.nothing, .again))
        #expect(more["clerk.notes"]! == (.nothing, .nothing))
    }

    @Test("a narrower filter with bucket ids of the same form is the difference; another form is the unit again")
    func filters() throws {
        let narrower = try plan(Self.base.replacingOccurrences(of: "rows: owner == $me }", with: "rows: owner == $me and state != \"void\" }"))
        #expect(narrower["clerk.Order"]! == (.difference, .difference))
        let branch = try plan(Self.base.replacingOccurrences(of: "rows: owner == $me }", with: "rows: owner == $me or state == \"open\" }"))
        #expect(branch["clerk.Order"]! == (.again, .again))
        let comparison = try plan(Self.base.replacingOccurrences(of: "rows: owner == $me }", with: "rows: owner != $me }"))
        #expect(comparison["clerk.Order"]! == (.again, .again))
    }

    @Test("a new unit is downloaded by updated apps; an entity moved into another unit makes updated apps download that unit again")
    func units() throws {
        let added = try plan(Self.base.replacingOccurrences(of: "unit: notes }", with: "unit: notes }\n      Order2: { rows: owner == $me, unit: extra }")
            .replacingOccurrences(of: "  Note:\n", with: "  Order2:\n    fields: { id: uuid, owner: uuid }\n  Note:\n"))
        #expect(added["clerk.extra"]! == (nil, .new))
        let moved = try plan(Self.base.replacingOccurrences(of: "rows: owner == $me, unit: notes }", with: "rows: owner == $me, unit: Order }"))
        #expect(moved["clerk.Order"]! == (.nothing, .again))
        #expect(moved["clerk.notes"]! == (.nothing, nil))
    }
}
