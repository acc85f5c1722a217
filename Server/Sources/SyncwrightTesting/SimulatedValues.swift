import Foundation
import Syncwright
import SyncwrightSchema

/// Random values of a schema field's type, in wire form.
enum SimulatedValues {
    /// A value for `field`; references take one of `candidates` (nil when there is none
    /// and the field can't be null).
    static func value(for field: Field, candidates: [JSONValue], random: inout SimulationRandom) -> JSONValue? {
        if field.isNullable, random.chance(0.15) { return .null }
        if field.reference != nil {
            guard !candidates.isEmpty else { return field.isNullable ? .null : nil }
            return candidates.randomElement(using: &random)
        }
        switch field.type {
        case .enumeration(let cases):
            return cases.randomElement(using: &random).map { .string($0) }
        case .scalar(let scalar):
            return value(of: scalar, random: &random)
        }
    }

    static func value(of type: ScalarType, random: inout SimulationRandom) -> JSONValue? {
        let n = Int.random(in: 0..<1000, using: &random)
        switch type {
        case .string:
            // Some text beyond ASCII, so values are checked to round-trip exactly.
            return .string(["note \(n)", "café \(n)", "✓ \(n) 🛠", "line\n\(n)"][n % 4])
        case .int: return .integer(Int64(n))
        case .double: return .number(Double(n) / 4)
        case .decimal: return .string("\(n).\(n % 10)5")
        case .bool: return .bool(n % 2 == 0)
        case .uuid: return .string(random.uuid().uuidString.lowercased())
        case .date: return .string(String(format: "2026-%02d-%02d", n % 12 + 1, n % 28 + 1))
        case .timestamp: return .string(String(format: "2026-%02d-%02dT10:%02d:00.000Z", n % 12 + 1, n % 28 + 1, n % 60))
        case .blob: return .string(Data((0..<4).map { UInt8(($0 * 37 + n) % 256) }).base64EncodedString())
        // An attachment needs its file uploaded first: the simulator leaves such fields alone.
        case .json, .attachment: return nil
        }
    }

    /// A new key of the key field's type.
    static func newKey(_ field: Field, random: inout SimulationRandom) -> JSONValue? {
        switch field.type.storage {
        case .uuid: .string(random.uuid().uuidString.lowercased())
        case .int: .integer(Int64.random(in: 1_000_000..<Int64(Int32.max), using: &random))
        case .string: .string("k-" + random.uuid().uuidString.lowercased())
        default: nil
        }
    }
}
