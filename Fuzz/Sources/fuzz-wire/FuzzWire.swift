import Foundation
import SyncwrightCore

/// One input: a request or response body. Every decoder either decodes it or throws;
/// a push request that decodes is encoded again and must decode to the same request.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    if let request = try? PushRequestDecoder.decode(data) {
        guard let encoded = try? JSONEncoder().encode(request), let again = try? PushRequestDecoder.decode(encoded) else {
            fatalError("a decoded push request doesn't decode after encoding: \(request)")
        }
        guard again == request else { fatalError("a push request changed on the way back: \(request) became \(again)") }
    }
    _ = try? JSONDecoder().decode(PullRequest.self, from: data)
    _ = try? PullResponseDecoder.decode(data)
    _ = try? PushResponseDecoder.decode(data)
    _ = try? JSONValue(jsonText: String(decoding: data, as: UTF8.self))
    return 0
}
