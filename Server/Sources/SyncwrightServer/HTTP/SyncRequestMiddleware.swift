import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SyncwrightCore

/// The reference server's outermost middleware: gives each request its id, times it,
/// writes its one log line, and turns every error into the protocol's JSON error body.
///
/// A ``ProtocolError`` answers with its status, code and message. Hummingbird's own
/// errors keep their status (an unknown path is `404 not_found`). Anything else is a
/// `500 internal_error` whose body names only the request id: what failed, which may
/// hold SQL or values, goes to the log, never to the client.
struct SyncRequestMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    let logger: Logger
    /// The routes, listed in the body of a `404`.
    let routes: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.requestID(request.headers[.requestID])
        var metadata: Logger.Metadata = [
            "requestId": "\(context.requestID)", "method": "\(request.method)", "path": "\(request.uri.path)",
        ]
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ProtocolError {
            metadata["error"] = "\(error.code)"
            response = Self.errorResponse(error, requestID: context.requestID)
        } catch let error as HTTPError where error.status == .notFound {
            metadata["error"] = "not_found"
            response = Self.errorResponse(ProtocolError(status: 404, code: "not_found",
                                                        message: "no route \(request.uri.path); routes: \(routes.joined(separator: ", "))"),
                                          requestID: context.requestID)
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            metadata["error"] = "\(error.status.code)"
            response = Self.errorResponse(ProtocolError(status: error.status.code, code: "invalid_request",
                                                        message: error.status.reasonPhrase),
                                          requestID: context.requestID)
        } catch {
            logger.error("request failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            response = Self.errorResponse(ProtocolError(
                status: 500, code: "internal_error",
                message: "the server failed on this request; its log has the details under request id \(context.requestID)"),
                requestID: context.requestID)
        }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - started
        metadata.merge(context.logMetadata.withValue { $0 }) { $1 }
        metadata["status"] = "\(response.status.code)"
        metadata["ms"] = "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)"
        logger.info("request", metadata: metadata)
        return response
    }

    /// The client's id when it is 1 to 128 visible ASCII characters, else a new one.
    static func requestID(_ sent: String?) -> String {
        if let sent, (1...128).contains(sent.utf8.count), sent.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return sent
        }
        return UUID().uuidString.lowercased()
    }

    /// The protocol's `{error, message, requestId}` body for `error`.
    static func errorResponse(_ error: ProtocolError, requestID: String?) -> Response {
        let body = (try? JSONEncoder().encode(ErrorResponse(error: error.code, message: error.message, requestId: requestID, units: error.units))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: error.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`: the id of a request, sent back with its answer.
    static let requestID = HTTPField.Name("X-Request-ID")!
}
