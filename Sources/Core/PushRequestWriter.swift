import Foundation

/// Writes a `POST /v1/push` request by hand, with the members in a fixed order.
public enum PushRequestWriter {
    /// The request as JSON bytes.
    public static func json(_ request: PushRequest) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(128 + request.ops.count * 256)
        out.append(contentsOf: #"{"clientId":"#.utf8)
        JSONTextWriter.writeString(request.clientId, to: &out)
        out.append(contentsOf: #","subset":"#.utf8)
        JSONTextWriter.writeString(request.subset, to: &out)
        out.append(contentsOf: #","schemaHash":"#.utf8)
        JSONTextWriter.writeString(request.schemaHash, to: &out)
        out.append(contentsOf: #","ops":["#.utf8)
        for (index, op) in request.ops.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"opId":"#.utf8)
            JSONTextWriter.writeString(op.opId, to: &out)
            out.append(contentsOf: #","entity":"#.utf8)
            JSONTextWriter.writeString(op.entity, to: &out)
            out.append(contentsOf: #","kind":""#.utf8)
            out.append(contentsOf: op.kind.rawValue.utf8)
            out.append(contentsOf: #"","key":"#.utf8)
            JSONTextWriter.write(op.key, to: &out)
            if let base = op.baseVersion {
                out.append(contentsOf: #","baseVersion":"#.utf8)
                out.append(contentsOf: String(base).utf8)
            }
            if let values = op.values {
                out.append(contentsOf: #","values":"#.utf8)
                JSONTextWriter.write(.object(values), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return Data(out)
    }
}

