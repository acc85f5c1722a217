import Foundation
import Syncwright

/// Writes push results as JSON by hand, with the same fixed member order as
/// ``PullResponseWriter``: a push of a thousand ops stores and sends a thousand
/// results, and `JSONEncoder` would dominate its time. The push answer is made of the
/// same texts as are stored for replays.
enum WireJSONWriter {
    /// One result as JSON text, as it is stored for replays.
    static func text(_ result: PushResult) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(result, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A push answer made of its results' texts.
    static func answer(_ texts: [String]) -> Data {
        var body: [UInt8] = []
        body.reserveCapacity(16 + texts.reduce(0) { $0 + $1.utf8.count + 1 })
        body.append(contentsOf: #"{"results":["#.utf8)
        for (index, text) in texts.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: text.utf8)
        }
        body.append(contentsOf: "]}".utf8)
        return Data(body)
    }

    /// The text of an applied result whose row is already JSON, in the member order of
    /// ``write(_:to:)``.
    static func appliedText(opId: String, version: Int64?, row: [UInt8], leftSubset: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(row.count + opId.utf8.count + 64)
        out.append(contentsOf: #"{"opId":"#.utf8)
        PullResponseWriter.writeString(opId, to: &out)
        out.append(contentsOf: #","status":"applied""#.utf8)
        if let version {
            out.append(contentsOf: #","version":"#.utf8)
            out.append(contentsOf: String(version).utf8)
        }
        out.append(contentsOf: #","row":"#.utf8)
        out.append(contentsOf: row)
        if leftSubset { out.append(contentsOf: #","leftSubset":true"#.utf8) }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ result: PushResult, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"opId":"#.utf8)
        PullResponseWriter.writeString(result.opId, to: &out)
        out.append(contentsOf: #","status":""#.utf8)
        out.append(contentsOf: result.status.rawValue.utf8)
        out.append(UInt8(ascii: "\""))
        if let version = result.version {
            out.append(contentsOf: #","version":"#.utf8)
            out.append(contentsOf: String(version).utf8)
        }
        if let row = result.row {
            out.append(contentsOf: #","row":"#.utf8)
            PullResponseWriter.write(.object(row), to: &out)
        }
        if let reason = result.reason {
            out.append(contentsOf: #","reason":"#.utf8)
            PullResponseWriter.writeString(reason, to: &out)
        }
        if let code = result.code {
            out.append(contentsOf: #","code":"#.utf8)
            PullResponseWriter.writeString(code, to: &out)
        }
        if result.leftSubset == true { out.append(contentsOf: #","leftSubset":true"#.utf8) }
        if let dependsOn = result.dependsOn {
            out.append(contentsOf: #","dependsOn":"#.utf8)
            PullResponseWriter.writeString(dependsOn, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
