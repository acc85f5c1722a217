import Foundation
import SyncwrightSchema
import Yams

/// Validation of large generated schemas.
enum SchemaBenchmarks {
    /// A schema with `entityCount` entities of `fieldCount` fields (a quarter of them
    /// references to earlier entities, some enums) and one subset entry per entity,
    /// each with a row filter, an include and a column list.
    static func generatedSchema(entities entityCount: Int, fields fieldCount: Int) -> String {
        var lines = ["syncwright: 1", "name: Generated", "entities:"]
        for entity in 0..<entityCount {
            lines.append("  Entity\(entity):")
            lines.append("    doc: Entity number \(entity)")
            lines.append("    fields:")
            lines.append("      id: uuid")
            lines.append("      ownerId: uuid")
            for field in 0..<(fieldCount - 2) {
                switch field % 4 {
                case 0 where entity > 0: lines.append("      ref\(field): Entity\(entity - 1)?")
                case 1: lines.append("      state\(field): { enum: [open, active, closed], default: open }")
                case 2: lines.append("      amount\(field): decimal?")
                default: lines.append("      text\(field): string")
                }
            }
        }
        lines.append("subsets:")
        lines.append("  member:")
        lines.append("    parameters:")
        lines.append("      userId: { claim: sub, type: uuid }")
        lines.append("    entities:")
        for entity in 0..<entityCount {
            lines.append("      Entity\(entity):")
            lines.append("        columns: { except: [text3] }")
            if entity > 0 {
                lines.append("        rows: ownerId == $userId and (state1 != \"closed\" or ref0.ownerId == $userId)")
                lines.append("        include: { previousOwner: ref0.ownerId }")
            } else {
                lines.append("        rows: ownerId == $userId")
            }
            lines.append("        access: read-write")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func run(_ runner: inout BenchmarkRunner, entities: Int, fields: Int, targetSeconds: Double?) throws {
        let text = generatedSchema(entities: entities, fields: fields)
        let file = SchemaFile(path: "generated.yaml", text: text)
        var result: SchemaLoader.Result?
        let validate = runner.measure { result = SchemaLoader.load(file) }
        guard let model = result?.model else {
            let diagnostics = result?.diagnostics.prefix(5).map(\.description).joined(separator: "\n") ?? ""
            throw BenchmarkFailure("the generated schema did not validate:\n\(diagnostics)")
        }
        guard model.entities.count == entities, model.subsets.first?.entities.count == entities else {
            throw BenchmarkFailure("the model has the wrong number of entities")
        }
        let compose = runner.measure { _ = try? Yams.compose(yaml: text) }
        runner.record(.init(
            name: "validate \(entities) entities × \(fields) fields + \(entities) subset entries (\(text.utf8.count / 1024) KiB)",
            seconds: validate,
            baselineName: "Yams.compose of the same text",
            baselineSeconds: compose,
            target: targetSeconds.map { "< \(BenchmarkRunner.format($0))" },
            meetsTarget: targetSeconds.map { validate < $0 }
        ))
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
