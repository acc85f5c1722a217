import Foundation
import Testing
@testable import SyncwrightCore

@Suite("Wire value rules")
struct CoreWireValueRulesTests {
    @Test("a whole double is an integer when it fits in 64 bits, on reading, on writing and as a value")
    func integralCutoff() throws {
        #expect(WireValueRules.integralValue(of: 3.0) == 3)
        #expect(WireValueRules.integralValue(of: 1e17) == 100_000_000_000_000_000)
        #expect(WireValueRules.integralValue(of: -9_223_372_036_854_775_808) == .min)
        #expect(WireValueRules.integralValue(of: 9_223_372_036_854_775_808) == nil)
        #expect(WireValueRules.integralValue(of: 1e19) == nil)
        #expect(WireValueRules.integralValue(of: 0.5) == nil)
        #expect(WireValueRules.integralValue(of: .infinity) == nil)
        #expect(WireValueRules.integralValue(of: .nan) == nil)
        // The parser, the writer and JSONValue.integerValue use the same rule.
        #expect(try JSONValue(jsonText: "4503599627370496.0") == .integer(4_503_599_627_370_496))
        #expect(try JSONValue(jsonText: "1e17") == .integer(100_000_000_000_000_000))
        #expect(try JSONValue(jsonText: "1e19") == .number(1e19))
        #expect(JSONValue.number(5e15).jsonText == "5000000000000000")
        #expect(JSONValue.number(1e19).jsonText == "1e+19")
        #expect(JSONValue.number(8e15).integerValue == nil, "a double is never read as an int")
        #expect(JSONValue.number(1e19).integerValue == nil)
    }

    @Test("a number's text is an integer only when it is exactly one: nothing rounds through a double")
    func exactIntegers() throws {
        let exact: [(String, Int64)] = [
            ("0", 0), ("-0", 0), ("-0.0", 0), ("0e99999", 0), ("3", 3), ("3.0", 3), ("3e0", 3), ("0.3e1", 3), ("1E3", 1000),
            ("30e-1", 3), ("9007199254740993", 9_007_199_254_740_993), ("9007199254740993.0", 9_007_199_254_740_993),
            ("9223372036854775807", .max), ("9223372036854775807.000", .max), ("-9223372036854775808", .min),
            ("-9.223372036854775808e18", .min), ("92233720368547758070e-1", .max),
        ]
        for (text, integer) in exact {
            #expect(WireValueRules.exactInteger(ofNumberText: text) == integer, "\(text)")
            #expect(try JSONValue(jsonText: text) == .integer(integer), "\(text)")
        }
        for text in ["9223372036854775808", "-9223372036854775809", "1e19", "3.0000000000000001", "3.5", "1e-400",
                     "9223372036854775807.5", "1e99999", "-", "", "1.2.3", "1e", "abc"] {
            #expect(WireValueRules.exactInteger(ofNumberText: text) == nil, "\(text)")
        }
        #expect(try JSONValue(jsonText: "-9223372036854775809") == .number(-9_223_372_036_854_775_808.0))
        #expect(try JSONValue(jsonText: "3.0000000000000001") == .number(3))
        #expect(try JSONValue(jsonText: "3.0000000000000001").integerValue == nil)
    }

    @Test("a value keeps its kind through JSONEncoder and the byte parser, as through the writer")
    func roundTrips() throws {
        for text in ["9007199254740992.0", "1e17", "1e19", "0.1", "-0.0", "3", "9223372036854775807", "1.5e300"] {
            let value = try JSONValue(jsonText: text)
            let viaEncoder = try JSONValue(jsonText: String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
            let viaDecoder = try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonText.utf8))
            #expect(viaEncoder == value, "\(text)")
            #expect(viaDecoder == value, "\(text)")
            #expect(try JSONValue(jsonText: value.jsonText) == value, "\(text)")
        }
    }

    @Test("dates: the month and day are checked, not only the digits")
    func dates() {
        for good in ["2024-02-29", "1999-12-31", "0001-01-01"] { #expect(WireValueRules.isDate(good), "\(good)") }
        for bad in ["2024-13-45", "2024-00-01", "2024-01-00", "2024-01-32", "2024-1-01", "2024/01/01", "", "２０２４-01-01"] {
            #expect(!WireValueRules.isDate(bad), "\(bad)")
        }
    }

    @Test("timestamps: every offset to UTC milliseconds; a bad date inside is refused")
    func timestamps() {
        #expect(WireValueRules.canonicalTimestamp("2024-01-31T09:30:00.125Z") == "2024-01-31T09:30:00.125Z")
        #expect(WireValueRules.canonicalTimestamp("2024-01-31T11:30:00+02:00") == "2024-01-31T09:30:00.000Z")
        #expect(WireValueRules.canonicalTimestamp("2024-01-31 09:30:00Z") == "2024-01-31T09:30:00.000Z")
        #expect(WireValueRules.canonicalTimestamp("2024-13-31T09:30:00.000Z") == nil)
        #expect(WireValueRules.canonicalTimestamp("2024-01-31T09:30:00") == nil)
        #expect(WireValueRules.canonicalTimestamp("2024-01-31") == nil)
    }

    @Test("uuids: either case in, lower case out; bytes round-trip")
    func uuids() throws {
        let upper = "8C3D0F52-5B1E-4A8E-9D55-4F1AB8F0D7E2"
        #expect(WireValueRules.canonicalUUID(upper) == upper.lowercased())
        let bytes = try #require(WireValueRules.uuidBytes(upper))
        #expect(bytes == withUnsafeBytes(of: UUID(uuidString: upper)!.uuid) { Data($0) })
        #expect(WireValueRules.uuidText(bytes) == upper.lowercased())
        func isCanonical(_ text: String) -> Bool { var text = text; return text.withUTF8 { WireValueRules.isCanonicalUUID($0) } }
        #expect(isCanonical(upper.lowercased()))
        #expect(!isCanonical(upper))
        for bad in ["8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e", "8c3d0f52x5b1e-4a8e-9d55-4f1ab8f0d7e2", "8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7eg"] {
            #expect(WireValueRules.canonicalUUID(bad) == nil && WireValueRules.uuidBytes(bad) == nil && !isCanonical(bad), "\(bad)")
        }
    }

    @Test("decimals: sign, digits, one point, at most 64 characters")
    func decimals() {
        for good in ["0", "-1", "12.50", ".5", "5.", String(repeating: "9", count: 64)] { #expect(WireValueRules.isDecimal(good), "\(good)") }
        for bad in ["", "-", ".", "1.2.3", "+1", "1e5", " 1", String(repeating: "9", count: 65)] {
            #expect(!WireValueRules.isDecimal(bad), "\(bad)")
        }
    }

    @Test("the byte parser refuses a string that isn't UTF-8, escaped or not, instead of repairing it")
    func invalidUTF8() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: PullResponseDecoder.Failure.self) {
                try JSONByteParser.parse(Data(bytes)) { (parser: inout JSONByteParser) throws(PullResponseDecoder.Failure) in try parser.value() }
            }
        }
        #expect(try JSONValue(jsonText: "\"h\u{e9}llo \\u00e9\"") == .string("héllo é"))
    }
}
