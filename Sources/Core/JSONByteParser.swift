import Foundation

/// A JSON reader over UTF-8 bytes: strict (RFC 8259), iterative over whitespace,
/// recursive over nesting up to a fixed depth.
struct JSONByteParser {
    typealias Failure = PullResponseDecoder.Failure

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// The strings of the member names seen at each position of the last row object.
    private var rowKeys: [[UInt8]] = []
    private var rowKeyStrings: [String] = []
    static let maximumDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func failure(_ message: String) -> Failure {
        Failure(description: "not valid JSON: \(message) at byte \(index)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw failure("unexpected end") }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try peek() == byte else { throw failure("expected '\(Character(UnicodeScalar(byte)))'") }
        index += 1
    }

    /// Reads a whole document from `data` with `read`, refusing anything after it.
    static func parse<T>(_ data: Data, _ read: (inout JSONByteParser) throws(Failure) -> T) throws(Failure) -> T {
        let result: Result<T, Failure> = data.withUnsafeBytes { buffer in
            parseResult(buffer.bindMemory(to: UInt8.self), read)
        }
        return try result.get()
    }

    /// Reads a whole document from `bytes`, as a result so it can leave a closure.
    static func parseResult<T>(
        _ bytes: UnsafeBufferPointer<UInt8>, _ read: (inout JSONByteParser) throws(Failure) -> T
    ) -> Result<T, Failure> {
        var parser = JSONByteParser(bytes)
        do throws(Failure) {
            let value = try read(&parser)
            try parser.end()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    mutating func end() throws(Failure) {
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the value") }
    }

    // MARK: - The page

    mutating func pullResponse() throws(Failure) -> PullResponse {
        var changes: [PullChange]?
        var units: [String: String]?
        var more: Bool?
        var estimate: Int?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            switch name {
            case "changes":
                var list: [PullChange] = []
                try parser.array { (parser: inout JSONByteParser) throws(Failure) in list.append(try parser.change()) }
                changes = list
            case "units":
                var map: [String: String] = [:]
                try parser.object { (parser: inout JSONByteParser, unit: String) throws(Failure) in
                    guard case .string(let cursor) = try parser.value() else { throw parser.failure("a unit's cursor must be a string") }
                    map[unit] = cursor
                }
                units = map
            case "more":
                guard case .bool(let flag) = try parser.value() else { throw parser.failure("more must be true or false") }
                more = flag
            case "estimate":
                switch try parser.value() {
                case .integer(let value): estimate = Int(clamping: value)
                case .null: estimate = nil
                default: throw parser.failure("estimate must be an integer")
                }
            default:
                _ = try parser.value()
            }
        }
        guard let changes, let units, let more else {
            throw failure("a pull page needs changes, units and more")
        }
        return PullResponse(changes: changes, units: units, more: more, estimate: estimate)
    }

    mutating func pushRequest() throws(Failure) -> PushRequest {
        var clientId: String?
        var subset: String?
        var schemaHash: String?
        var ops: [PushOperation]?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            switch name {
            case "clientId", "subset", "schemaHash":
                guard case .string(let text) = try parser.value() else { throw parser.failure("\(name) must be a string") }
                switch name {
                case "clientId": clientId = text
                case "subset": subset = text
                default: schemaHash = text
                }
            case "ops":
                var list: [PushOperation] = []
                try parser.array { (parser: inout JSONByteParser) throws(Failure) in list.append(try parser.pushOperation()) }
                ops = list
            default:
                _ = try parser.value()
            }
        }
        guard let clientId, let subset, let schemaHash, let ops else {
            throw failure("a push needs clientId, subset, schemaHash and ops")
        }
        return PushRequest(clientId: clientId, subset: subset, schemaHash: schemaHash, ops: ops)
    }

    private mutating func pushOperation() throws(Failure) -> PushOperation {
        var opId: String?
        var entity: String?
        var kind: OperationKind?
        var key: JSONValue?
        var baseVersion: Int64?
        var values: [String: JSONValue]?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            switch name {
            case "opId", "entity":
                guard case .string(let text) = try parser.value() else { throw parser.failure("\(name) must be a string") }
                if name == "opId" { opId = text } else { entity = text }
            case "kind":
                guard case .string(let text) = try parser.value(), let parsed = OperationKind(rawValue: text) else {
                    throw parser.failure("kind must be insert, update or delete")
                }
                kind = parsed
            case "key":
                key = try parser.value()
            case "baseVersion":
                switch try parser.value() {
                case .integer(let value): baseVersion = value
                case .null: baseVersion = nil
                default: throw parser.failure("baseVersion must be an integer")
                }
            case "values":
                if try parser.peek() == UInt8(ascii: "{") {
                    values = try parser.row()
                } else {
                    guard case .null = try parser.value() else { throw parser.failure("values must be an object") }
                }
            default:
                _ = try parser.value()
            }
        }
        guard let opId, let entity, let kind, let key else { throw failure("an op needs opId, entity, kind and key") }
        return PushOperation(opId: opId, entity: entity, kind: kind, key: key, baseVersion: baseVersion, values: values)
    }

    mutating func pushResponse() throws(Failure) -> PushResponse {
        var results: [PushResult]?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            guard name == "results" else {
                _ = try parser.value()
                return
            }
            var list: [PushResult] = []
            try parser.array { (parser: inout JSONByteParser) throws(Failure) in list.append(try parser.pushResult()) }
            results = list
        }
        guard let results else { throw failure("a push answer needs results") }
        return PushResponse(results: results)
    }

    private mutating func pushResult() throws(Failure) -> PushResult {
        var opId: String?
        var status: PushResult.Status?
        var version: Int64?
        var row: [String: JSONValue]?
        var reason: String?
        var code: String?
        var leftSubset: Bool?
        var dependsOn: String?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            switch name {
            case "dependsOn":
                switch try parser.value() {
                case .string(let text): dependsOn = text
                case .null: break
                default: throw parser.failure("dependsOn must be a string")
                }
            case "leftSubset":
                switch try parser.value() {
                case .bool(let flag): leftSubset = flag
                case .null: break
                default: throw parser.failure("leftSubset must be a boolean")
                }
            case "opId":
                guard case .string(let text) = try parser.value() else { throw parser.failure("opId must be a string") }
                opId = text
            case "status":
                guard case .string(let text) = try parser.value(), let parsed = PushResult.Status(rawValue: text) else {
                    throw parser.failure("status must be applied, conflict or rejected")
                }
                status = parsed
            case "version":
                switch try parser.value() {
                case .integer(let value): version = value
                case .null: version = nil
                default: throw parser.failure("version must be an integer")
                }
            case "row":
                if try parser.peek() == UInt8(ascii: "{") {
                    row = try parser.row()
                } else {
                    guard case .null = try parser.value() else { throw parser.failure("row must be an object") }
                }
            case "reason", "code":
                switch try parser.value() {
                case .string(let text): if name == "reason" { reason = text } else { code = text }
                case .null: break
                default: throw parser.failure("\(name) must be a string")
                }
            default:
                _ = try parser.value()
            }
        }
        guard let opId, let status else { throw failure("a push result needs opId and status") }
        return PushResult(opId: opId, status: status, version: version, row: row, reason: reason, code: code,
                          leftSubset: leftSubset, dependsOn: dependsOn)
    }

    private mutating func change() throws(Failure) -> PullChange {
        var entity: String?
        var op: PullChange.Operation?
        var key: JSONValue?
        var row: [String: JSONValue]?
        var version: Int64?
        try object { (parser: inout JSONByteParser, name: String) throws(Failure) in
            switch name {
            case "entity":
                guard case .string(let text) = try parser.value() else { throw parser.failure("entity must be a string") }
                entity = text
            case "op":
                guard case .string(let text) = try parser.value(), let parsed = PullChange.Operation(rawValue: text) else {
                    throw parser.failure("op must be put or remove")
                }
                op = parsed
            case "key":
                key = try parser.value()
            case "row":
                switch try parser.peek() {
                case UInt8(ascii: "{"): row = try parser.row()
                default:
                    guard case .null = try parser.value() else { throw parser.failure("row must be an object") }
                }
            case "version":
                switch try parser.value() {
                case .integer(let value): version = value
                case .null: version = nil
                default: throw parser.failure("version must be an integer")
                }
            default:
                _ = try parser.value()
            }
        }
        guard let entity, let op, let key else { throw failure("a change needs entity, op and key") }
        return PullChange(entity: entity, op: op, key: key, row: row, version: version)
    }

    /// A row object, reusing the member-name strings of the previous row.
    private mutating func row() throws(Failure) -> [String: JSONValue] {
        try expect(UInt8(ascii: "{"))
        var row: [String: JSONValue] = [:]
        row.reserveCapacity(rowKeyStrings.count)
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return row
        }
        var position = 0
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let name = try memberName(at: position)
            try expect(UInt8(ascii: ":"))
            row[name] = try value()
            position += 1
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return row
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func memberName(at position: Int) throws(Failure) -> String {
        // Fast path: a name without escapes equal to the one at this position last time.
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if position < rowKeys.count, rowKeys[position].elementsEqual(slice) {
                index = end + 1
                return rowKeyStrings[position]
            }
        }
        let name = try string()
        if position < rowKeys.count {
            rowKeys[position] = Array(name.utf8)
            rowKeyStrings[position] = name
        } else if position == rowKeys.count {
            rowKeys.append(Array(name.utf8))
            rowKeyStrings.append(name)
        }
        return name
    }

    // MARK: - Values

    private mutating func object(_ member: (inout JSONByteParser, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested too deeply") }
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let name = try string()
            try expect(UInt8(ascii: ":"))
            try member(&self, name)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array(_ element: (inout JSONByteParser) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested too deeply") }
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    mutating func value() throws(Failure) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try object { (parser: inout JSONByteParser, name: String) throws(Failure) in members[name] = try parser.value() }
            return .object(members)
        case UInt8(ascii: "["):
            var items: [JSONValue] = []
            try array { (parser: inout JSONByteParser) throws(Failure) in items.append(try parser.value()) }
            return .array(items)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw failure("unexpected character")
        }
        index += count
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
        let digits = index - digitsStart
        guard digits > 0 else { throw failure("unexpected character") }
        guard !(digits > 1 && bytes[digitsStart] == UInt8(ascii: "0")) else { throw failure("a number has a leading zero") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fraction = index
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
            guard index > fraction else { throw failure("a number needs digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponent = index
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
            guard index > exponent else { throw failure("a number needs digits in its exponent") }
        }
        if isInteger && digits <= 18 {
            var value: Int64 = 0
            for position in digitsStart..<index { value = value * 10 + Int64(bytes[position] - 48) }
            return .integer(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        let numberBytes = UnsafeBufferPointer(rebasing: bytes[start..<index])
        // A number is an integer when its text is exactly one (WireValueRules.exactInteger).
        if let integer = WireValueRules.exactInteger(ofNumberText: numberBytes) { return .integer(integer) }
        let text = String(decoding: numberBytes, as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw failure("a number out of range") }
        return .number(value)
    }

    private mutating func string() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var isASCII = true
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                // Text that isn't UTF-8 is refused, never repaired behind the sender's back.
                guard isASCII || String(validating: slice, as: UTF8.self) != nil else {
                    throw failure("a string that isn't valid UTF-8")
                }
                let text = String(decoding: slice, as: UTF8.self)
                index += 1
                return text
            }
            if byte >= 0x80 { isASCII = false }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("a control character in a string") }
            index += 1
        }
        var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else {
                    throw failure("a string that isn't valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw failure("unexpected end") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw failure("an unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("an unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw failure("an unpaired surrogate")
                    }
                    scalars.append(contentsOf: Array(String(Character(UnicodeScalar(code)!)).utf8))
                default:
                    throw failure("an invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw failure("a control character in a string") }
                scalars.append(byte)
            }
        }
        throw failure("an unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 97...102: digit = UInt32(byte - 87)
            case 65...70: digit = UInt32(byte - 55)
            default: throw failure("an invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
