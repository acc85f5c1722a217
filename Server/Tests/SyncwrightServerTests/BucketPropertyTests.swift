import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import SyncwrightTesting
import Testing

/// Random rows, users and writes by another system (inserts, updates, deletes, changed
/// keys), with devices pulling page by page in between (some in the middle of a first
/// download), against the filters evaluated here in Swift, independently of the server's
/// SQL. After every page: each `put` is in the caller's subset with its current values
/// and includes, each `remove` names a row that was in the caller's subset since its
/// cursor, never one of a key the device never received a `put` of since it started (a
/// row that came and went between two of its pulls, or while it read the log page by
/// page), and never one that came into the subset after the device caught up and left
/// it again with no pull of the device in between. After every catch-up: the device
/// holds exactly its subset.
///
/// `SYNCWRIGHT_PROPERTY_SEEDS=200` runs more seeds (default 6, of 80 steps each).
@Suite("Change log by bucket: random writes against filters evaluated independently")
struct BucketPropertyTests {
    static let schemaText = """
        syncwright: 1
        name: Clinic
        entities:
          Patient:
            table: patients
            fields: { id: uuid, district: string, name: string, active: bool }
          Visit:
            table: visits
            fields: { id: uuid, patient: Patient?, nurseId: uuid?, status: string }
          Note:
            table: notes
            fields: { id: int, level: int, body: string }
        subsets:
          nurse:
            parameters:
              districts: { claim: districts, type: "[string]" }
              me: { claim: sub, type: uuid }
              level: { claim: level, type: int }
            entities:
              Patient:
                rows: district in $districts and active
                unit: care
              Visit:
                rows: patient.district in $districts or nurseId == $me
                include: { patientName: patient.name }
                unit: care
              Note:
                rows: level <= $level
                unit: care
        """

    static let schema: SchemaModel = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clinic-\(UUID().uuidString).yaml")
        try! schemaText.write(to: url, atomically: true, encoding: .utf8)
        return try! SyncServer.loadSchema(url.path)
    }()

    struct Nurse {
        var districts: [String]
        var me: String
        var level: Int64
        var claims: [String: JSONValue] {
            ["districts": .array(districts.map(JSONValue.string)), "sub": .string(me), "level": .integer(level)]
        }
    }

    /// The rows as the test knows them, by entity and key.
    struct World {
        var patients: [String: (district: String, name: String, active: Bool)] = [:]
        var visits: [String: (patient: String?, nurse: String?, status: String)] = [:]
        var notes: [Int64: (level: Int64, body: String)] = [:]

        /// The caller's subset: entity → key → include values to check.
        func subset(_ nurse: Nurse) -> [String: [String: String?]] {
            var result: [String: [String: String?]] = ["Patient": [:], "Visit": [:], "Note": [:]]
            for (key, patient) in patients where nurse.districts.contains(patient.district) && patient.active {
                result["Patient"]![key] = .some(nil)
            }
            for (key, visit) in visits {
                let patient = visit.patient.flatMap { patients[$0] }
                let inDistrict = patient.map { nurse.districts.contains($0.district) } ?? false
                if inDistrict || visit.nurse == nurse.me {
                    result["Visit"]![key] = .some(patient?.name)
                }
            }
            for (key, note) in notes where note.level <= nurse.level {
                result["Note"]![String(key)] = .some(nil)
            }
            return result
        }
    }

    struct Device {
        var nurse: Nurse
        var replica: [String: Set<String>] = [:]
        var cursor: String?
        /// Keys that were in the subset at some point since the device's cursor.
        var seen: [String: Set<String>] = [:]
        /// Keys the device has received a `put` of since it last started over.
        var held: [String: Set<String>] = [:]
        /// Keys that have been in the subset since the run began (the log keeps an entry
        /// for each, whatever the device holds).
        var everInSubset: [String: Set<String>] = [:]
        /// Since the device's last pull that caught up (`more` false): the keys that had
        /// been in its subset by then, and the keys in its subset at one of its pulls
        /// since (which a page may have delivered). Nil before it first caught up.
        var knownAtCatchUp: [String: Set<String>]?
        var presentAtAPull: [String: Set<String>] = [:]
    }

    static var seeds: [UInt64] { propertySeeds(from: 7_000, ciCount: 6) }

    @Test(arguments: DatabaseKind.underTest)
    func devicesHoldExactlyTheirSubset(_ kind: DatabaseKind) async throws {
        for seed in Self.seeds {
            try await run(kind, seed: seed, steps: 80)
        }
    }

    private func run(_ kind: DatabaseKind, seed: UInt64, steps: Int) async throws {
        var random = SimulationRandom(seed: seed)
        let service = SyncService(schema: Self.schema, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await service.prepare()
        var districts = ["north", "south", "east", "west"]
        // SQLite keeps a NUL inside text whole; PostgreSQL refuses such claims.
        if kind == .sqlite { districts.append("north\u{0}' OR 1=1") }
        var world = World()
        var devices = (0..<4).map { _ in
            Device(nurse: Nurse(districts: districts.filter { _ in random.chance(0.4) },
                                me: random.uuid().uuidString.lowercased(), level: Int64.random(in: 0...5, using: &random)))
        }
        let nurses = devices.map(\.nurse.me)
        var trace: [String] = []
        func fail(_ message: String) {
            Issue.record("seed \(seed) (\(kind)): \(message)\nlast steps:\n\(trace.suffix(15).joined(separator: "\n"))")
        }
        func sql(_ statement: String, _ arguments: [SQLValue]) async throws {
            trace.append("  \(statement) \(arguments)")
            let d = service.dialect
            var numbered = statement
            if d == .postgres {
                var index = 0
                numbered = String(statement.flatMap { character -> [Character] in
                    guard character == "?" else { return [character] }
                    index += 1
                    return Array("$\(index)")
                })
            }
            let text = numbered
            try await service.database.write { connection in try await connection.execute(text, arguments) }
        }
        let uuidCast = kind == .postgres ? "::uuid" : ""
        let boolean: (Bool) -> SQLValue = { kind == .postgres ? .bool($0) : .integer($0 ? 1 : 0) }

        func afterWrite() {
            for index in devices.indices {
                for (entity, keys) in world.subset(devices[index].nurse) {
                    devices[index].seen[entity, default: []].formUnion(keys.keys)
                    devices[index].everInSubset[entity, default: []].formUnion(keys.keys)
                }
            }
        }

        for step in 0..<steps {
            let choice = Int.random(in: 0..<100, using: &random)
            if choice < 55 {
                // Another system writes.
                let patientKeys = world.patients.keys.sorted(), visitKeys = world.visits.keys.sorted()
                switch Int.random(in: 0..<10, using: &random) {
                case 0, 1:
                    let key = random.uuid().uuidString.lowercased()
                    let row = (district: districts.randomElement(using: &random)!, name: "p\(step)", active: random.chance(0.8))
                    world.patients[key] = row
                    try await sql("INSERT INTO patients (id, district, name, active) VALUES (?\(uuidCast), ?, ?, ?)",
                                  [.text(key), .text(row.district), .text(row.name), boolean(row.active)])
                case 2, 3:
                    let key = random.uuid().uuidString.lowercased()
                    let row = (patient: patientKeys.randomElement(using: &random), nurse: random.chance(0.3) ? nurses.randomElement(using: &random) : nil,
                               status: "open")
                    world.visits[key] = row
                    try await sql("INSERT INTO visits (id, patient_id, nurse_id, status) VALUES (?\(uuidCast), ?\(uuidCast), ?\(uuidCast), ?)",
                                  [.text(key), row.patient.map(SQLValue.text) ?? .null, row.nurse.map(SQLValue.text) ?? .null, .text(row.status)])
                case 4:
                    guard let key = patientKeys.randomElement(using: &random) else { continue }
                    let district = districts.randomElement(using: &random)!
                    world.patients[key]!.district = district
                    try await sql("UPDATE patients SET district = ? WHERE id = ?\(uuidCast)", [.text(district), .text(key)])
                case 5:
                    guard let key = patientKeys.randomElement(using: &random) else { continue }
                    let active = !world.patients[key]!.active
                    world.patients[key]!.active = active
                    world.patients[key]!.name = "renamed \(step)"
                    try await sql("UPDATE patients SET active = ?, name = ? WHERE id = ?\(uuidCast)",
                                  [boolean(active), .text("renamed \(step)"), .text(key)])
                case 6:
                    guard let key = visitKeys.randomElement(using: &random) else { continue }
                    let nurse = random.chance(0.5) ? nurses.randomElement(using: &random) : nil
                    let patient = random.chance(0.5) ? patientKeys.randomElement(using: &random) : world.visits[key]!.patient
                    world.visits[key]!.nurse = nurse
                    world.visits[key]!.patient = patient
                    try await sql("UPDATE visits SET nurse_id = ?\(uuidCast), patient_id = ?\(uuidCast) WHERE id = ?\(uuidCast)",
                                  [nurse.map(SQLValue.text) ?? .null, patient.map(SQLValue.text) ?? .null, .text(key)])
                case 7:
                    // A key changed: the visits that referenced the old key point at nothing.
                    guard let key = patientKeys.randomElement(using: &random) else { continue }
                    let newKey = random.uuid().uuidString.lowercased()
                    world.patients[newKey] = world.patients.removeValue(forKey: key)
                    try await sql("UPDATE patients SET id = ?\(uuidCast) WHERE id = ?\(uuidCast)", [.text(newKey), .text(key)])
                case 8:
                    if random.chance(0.5), let key = visitKeys.randomElement(using: &random) {
                        world.visits[key] = nil
                        try await sql("DELETE FROM visits WHERE id = ?\(uuidCast)", [.text(key)])
                    } else if let key = patientKeys.randomElement(using: &random) {
                        world.patients[key] = nil
                        try await sql("DELETE FROM patients WHERE id = ?\(uuidCast)", [.text(key)])
                    }
                default:
                    let key = Int64(step)
                    let level = Int64.random(in: 0...6, using: &random)
                    if random.chance(0.5), let existing = world.notes.keys.randomElement(using: &random) {
                        world.notes[existing]!.level = level
                        try await sql("UPDATE notes SET level = ? WHERE id = ?", [.integer(level), .integer(existing)])
                    } else {
                        world.notes[key] = (level, "note \(step)")
                        try await sql("INSERT INTO notes (id, level, body) VALUES (?, ?, ?)", [.integer(key), .integer(level), .text("note \(step)")])
                    }
                }
                afterWrite()
                continue
            }
            // A device pulls one page (a small one, so downloads span writes), or starts over.
            let index = Int.random(in: 0..<devices.count, using: &random)
            if choice >= 95 {
                trace.append("step \(step): device \(index) starts over")
                devices[index].replica = [:]
                devices[index].cursor = nil
                devices[index].seen = [:]
                devices[index].held = [:]
                devices[index].knownAtCatchUp = nil
                afterWrite()
                continue
            }
            let nurse = devices[index].nurse
            for (entity, keys) in world.subset(nurse) { devices[index].presentAtAPull[entity, default: []].formUnion(keys.keys) }
            let page = try await service.pull(
                PullRequest(subset: "nurse", schemaHash: Self.schema.schemaHash, units: ["care": devices[index].cursor],
                            limit: Int.random(in: 1...6, using: &random)),
                claims: nurse.claims)
            trace.append("step \(step): device \(index) pulled \(page.changes.map { "\($0.op.rawValue) \($0.entity) \($0.key.jsonText)" }) more=\(page.more)")
            let subset = world.subset(nurse)
            for change in page.changes {
                let key = change.key.stringValue ?? change.key.jsonText
                switch change.op {
                case .put:
                    guard let expected = subset[change.entity]?[key] else {
                        fail("device \(index) received \(change.entity) \(key), which is not in its subset")
                        continue
                    }
                    if change.entity == "Visit", change.row?["patientName"] != expected.map(JSONValue.string) ?? .null {
                        fail("device \(index) received visit \(key) with patientName \(String(describing: change.row?["patientName"])), not \(String(describing: expected))")
                    }
                    devices[index].replica[change.entity, default: []].insert(key)
                    devices[index].held[change.entity, default: []].insert(key)
                case .remove:
                    let held = devices[index].replica[change.entity]?.contains(key) == true
                    if devices[index].held[change.entity]?.contains(key) != true {
                        fail("device \(index) received a remove of \(change.entity) \(key), which it never held")
                    }
                    if !held && devices[index].seen[change.entity]?.contains(key) != true {
                        fail("device \(index) received a remove of \(change.entity) \(key), which was never in its subset")
                    }
                    // A row that first came into the subset after the device caught up and
                    // left it again with no pull of the device in between: the device
                    // never had it, and hears nothing of it.
                    if let known = devices[index].knownAtCatchUp, known[change.entity]?.contains(key) != true,
                       devices[index].presentAtAPull[change.entity]?.contains(key) != true {
                        fail("device \(index) received a remove of \(change.entity) \(key), which came and went between two of its pulls")
                    }
                    if subset[change.entity]?[key] != nil {
                        fail("device \(index) received a remove of \(change.entity) \(key), which is in its subset")
                    }
                    devices[index].replica[change.entity]?.remove(key)
                }
            }
            devices[index].cursor = page.units["care"] ?? nil
            if !page.more {
                // Caught up: exactly the subset, nothing stale, nothing missing.
                for entity in ["Patient", "Visit", "Note"] {
                    let held = devices[index].replica[entity] ?? [], expected = Set(subset[entity]!.keys)
                    if held != expected {
                        fail("device \(index) holds \(entity) \(held.subtracting(expected).sorted()) it shouldn't and misses \(expected.subtracting(held).sorted())")
                    }
                }
                devices[index].seen = [:]
                for (entity, keys) in subset { devices[index].seen[entity] = Set(keys.keys) }
                devices[index].knownAtCatchUp = devices[index].everInSubset
                devices[index].presentAtAPull = [:]
            }
        }
        try await service.database.close()
    }
}
