import Foundation

/// A JSON value decoded without loss: integers stay 64-bit integers, so keys and
/// versions survive the trip through JSON exactly.
public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON text with sorted keys: equal values give equal text, so the text
    /// can serve as a key.
    ///
    /// Written by hand rather than by `JSONEncoder` (it is on the push and pull paths):
    /// the same text as `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`.
    public var jsonText: String {
        var out: [UInt8] = []
        JSONTextWriter.write(self, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses JSON text (RFC 8259, strict).
    public init(jsonText: String) throws {
        var text = jsonText
        let result = text.withUTF8 { bytes in
            JSONByteParser.parseResult(bytes) { (parser: inout JSONByteParser) throws(PullResponseDecoder.Failure) in try parser.value() }
        }
        self = try result.get()
    }

    public var description: String { jsonText }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, if this is one. A `.number` never is: JSON text that is exactly an
    /// `Int64` is read as `.integer`, and the double nearest to any other text may be
    /// whole without the text being so (`3.0000000000000001`).
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
