import Foundation
@testable import Syncwright
import Testing

@Suite("PullResponseDecoder reads pages as JSONDecoder does")
struct PullResponseDecoderTests {
    static func both(_ json: String) throws -> (fast: PullResponse, reference: PullResponse) {
        let data = Data(json.utf8)
        return (try PullResponseDecoder.decode(data), try JSONDecoder().decode(PullResponse.self, from: data))
    }

    @Test func aTypicalPageDecodesTheSame() throws {
        var changes: [PullChange] = []
        for index in 0..<50 {
            let key = JSONValue.string(UUID().uuidString.lowercased())
            if index % 7 == 0 {
                changes.append(PullChange(entity: "WorkOrderLine", op: .remove, key: key))
                continue
            }
            var row: [String: JSONValue] = ["id": .string("x\(index)"), "price": .string("12.50"), "note": .null]
            row["n"] = .integer(Int64(index) * -12_345_678_901)
            row["ratio"] = .number(Double(index) / 3)
            row["done"] = .bool(index % 3 == 0)
            row["tags"] = .array([.string("a"), .integer(1), .object(["deep": .array([])])])
            changes.append(PullChange(entity: index % 2 == 0 ? "WorkOrder" : "WorkOrderLine", op: .put, key: key,
                                      row: row, version: Int64(index)))
        }
        let page = PullResponse(changes: changes, units: ["jobs": "YzE6NTpjOjA6YjU0", "other": "x"], more: true, estimate: 17)
        let data = try JSONEncoder().encode(page)
        #expect(try PullResponseDecoder.decode(data) == JSONDecoder().decode(PullResponse.self, from: data))
        #expect(try PullResponseDecoder.decode(data).changes.count == 50)
    }

    @Test(arguments: [
        #"{"changes":[],"units":{},"more":false}"#,
        #"  {"more" : true , "units" : { "u" : "c" } , "changes" : [ ] , "estimate" : null , "extra" : [1, {"a": [true]}] }  "#,
        #"{"changes":[{"entity":"E","op":"put","key":7,"row":{"s":"quote \" slash \\ \/ \b\f\n\r\t \u00e9 \u2603 \ud83d\ude00 end","e":"é☃😀"},"version":9}],"units":{},"more":false}"#,
        #"{"changes":[{"entity":"E","op":"put","key":"k","row":{"a":1.5e3,"b":-0,"c":0.25,"d":123456789012345678,"e":1234567890123456789,"f":-9.5E-2}}],"units":{},"more":false}"#,
        #"{"changes":[{"entity":"E","op":"put","key":"k","row":{"a":1}},{"entity":"E","op":"put","key":"k2","row":{"b":2,"a":3}},{"entity":"E","op":"put","key":"k3","row":{}}],"units":{},"more":false}"#,
    ])
    func edgeCasesDecodeTheSame(_ json: String) throws {
        let (fast, reference) = try Self.both(json)
        #expect(fast == reference)
    }

    @Test(arguments: [
        "", "{", #"{"changes":[],"units":{},"more":false} x"#, #"{"changes":[],"units":{}}"#,
        #"{"changes":[],"units":{},"more":"no"}"#, #"{"changes":[{"entity":"E","op":"upsert","key":1}],"units":{},"more":false}"#,
        #"{"changes":[],"units":{"u":1},"more":false}"#, #"{"changes":[],"units":{},"more":false,"x":01}"#,
        #"{"changes":[],"units":{},"more":false,"x":"\q"}"#, #"{"changes":[],"units":{},"more":false,"x":"\ud83d"}"#,
        "{\"changes\":[],\"units\":{},\"more\":false,\"x\":\"tab\there\"}", #"{"changes":[],"units":{},"more":tru}"#,
        #"{"changes":[,],"units":{},"more":false}"#, #"{"changes":[],"units":{},"more":false,"x":1.}"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func invalidPagesAreRefusedWithAPosition(_ json: String) {
        let error = #expect(throws: PullResponseDecoder.Failure.self) { try PullResponseDecoder.decode(Data(json.utf8)) }
        #expect(error?.description.contains("at byte") == true)
    }

    @Test func pushAnswersDecodeTheSame() throws {
        let response = PushResponse(results: [
            PushResult(opId: "a", status: .applied, version: 4, row: ["id": .string("x"), "n": .integer(2), "note": .null]),
            PushResult(opId: "b", status: .conflict, version: 9, row: ["id": .string("y"), "n": .integer(3), "note": .string("é")]),
            PushResult(opId: "c", status: .conflict),
            PushResult(opId: "d", status: .rejected, reason: "no \"quotes\"", code: "read_only"),
        ])
        let data = try JSONEncoder().encode(response)
        #expect(try PushResponseDecoder.decode(data) == response)
        #expect(throws: PullResponseDecoder.Failure.self) { try PushResponseDecoder.decode(Data(#"{"results":[{"opId":"a"}]}"#.utf8)) }
    }
}

@Suite("JSONValue text matches JSONEncoder and JSONDecoder")
struct JSONValueTextTests {
    @Test(arguments: [
        JSONValue.string("plain"), .string("quote \" back \\ slash / tab \t nl \n cr \r bs \u{08} ff \u{0C} nul \u{00} é 😀"),
        .integer(-42), .integer(Int64.max), .number(1.5), .number(-0.001), .number(1e20), .number(2.0), .bool(true), .null,
        .array([.integer(1), .string("a"), .array([])]), .object(["b": .integer(1), "a": .object(["z": .null, "y": .bool(false)])]),
    ])
    func textIsJSONEncodersAndParsesBack(_ value: JSONValue) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(value.jsonText == reference)
        #expect(try JSONValue(jsonText: value.jsonText) == JSONDecoder().decode(JSONValue.self, from: Data(reference.utf8)))
    }

    @Test func invalidTextThrows() {
        #expect(throws: (any Error).self) { try JSONValue(jsonText: "[1,") }
        #expect(throws: (any Error).self) { try JSONValue(jsonText: "1 2") }
    }
}

@Suite("Push requests written and read by hand")
struct PushRequestCodingTests {
    @Test func aPushRequestRoundTripsAndMatchesJSONDecoder() throws {
        let request = PushRequest(clientId: "device \"1\"", subset: "technician", schemaHash: "abc", ops: [
            PushOperation(opId: "1", entity: "WorkOrder", kind: .insert, key: .string("k"), baseVersion: nil,
                          values: ["id": .string("k"), "n": .integer(3), "note": .null, "tags": .array([.bool(true)])]),
            PushOperation(opId: "2", entity: "WorkOrder", kind: .update, key: .integer(7), baseVersion: 12, values: ["n": .number(1.5)]),
            PushOperation(opId: "3", entity: "WorkOrder", kind: .delete, key: .string("k"), baseVersion: 13, values: nil),
        ])
        let data = PushRequestWriter.json(request)
        #expect(try JSONDecoder().decode(PushRequest.self, from: data) == request)
        #expect(try PushRequestDecoder.decode(data) == request)
        #expect(throws: PullResponseDecoder.Failure.self) {
            try PushRequestDecoder.decode(Data(#"{"clientId":"c","subset":"s","schemaHash":"h","ops":[{"opId":"1"}]}"#.utf8))
        }
    }
}
