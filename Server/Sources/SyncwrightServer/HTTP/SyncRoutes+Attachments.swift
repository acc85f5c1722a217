import Foundation
import Hummingbird
import NIOCore
import Syncwright

/// The attachment routes (docs/protocol.md, "Attachments"): uploads in pieces at an
/// offset, so an interrupted one resumes where the server's bytes end, and downloads
/// with `Range`. Who may do what is ``SyncService``'s to decide.
extension SyncRoutes {
    /// How many bytes of a file one write of a download carries.
    static let downloadPieceSize: Int64 = 1 << 20

    func addAttachmentRoutes(to router: Router<SyncRequestContext>) {
        router.get("/v1/attachments/:sha256") { request, context in try await self.download(request, context) }
        router.get("/v1/attachments/:sha256/upload") { request, context in try await self.uploadState(request, context) }
        router.put("/v1/attachments/:sha256/upload") { request, context in try await self.upload(request, context) }
    }

    private func query(_ request: Request, _ name: String) throws(ProtocolError) -> String {
        guard let value = request.uri.queryParameters[Substring(name)], !value.isEmpty else {
            throw ProtocolError.invalidRequest("the query needs \(name)=…")
        }
        return String(value)
    }

    private func integerQuery(_ request: Request, _ name: String) throws(ProtocolError) -> Int64 {
        let text = try query(request, name)
        guard let value = Int64(text), value >= 0 else {
            throw ProtocolError.invalidRequest("\(name) must be a whole number of bytes, not \"\(text.prefix(40))\"")
        }
        return value
    }

    private func uploadTarget(_ request: Request, _ context: SyncRequestContext) async throws -> (ServerUpload, String, [String: JSONValue]) {
        let claims = try await claims(request)
        let subset = try query(request, "subset")
        let target = try service.uploadTarget(
            sha256: context.parameters.get("sha256") ?? "", size: try integerQuery(request, "size"), subsetName: subset,
            entity: try query(request, "entity"), field: try query(request, "field"), claims: claims)
        context.log("subset", subset)
        return (target, subset, claims)
    }

    /// `GET /v1/attachments/{sha256}/upload?subset=&entity=&field=&size=`: how much of the
    /// upload the server has.
    private func uploadState(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let (target, subset, claims) = try await uploadTarget(request, context)
        return try encode(try await service.uploadState(target, subsetName: subset, claims: claims), nil)
    }

    /// `PUT /v1/attachments/{sha256}/upload?subset=&entity=&field=&size=&offset=`: the
    /// body is the file's bytes from `offset` on (all of them or a piece).
    private func upload(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let (target, _, _) = try await uploadTarget(request, context)
        let offset = try integerQuery(request, "offset")
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            throw ProtocolError(status: 415, code: "unsupported_encoding", message: "an upload's body is the file's bytes, sent as they are")
        }
        let limit = limits.maximumBodyBytes
        let pieces = request.body.map { buffer in Data(buffer.readableBytesView) }
        let bounded = BoundedPieces(base: pieces, limit: limit)
        let state = try await service.appendUpload(target, offset: offset, pieces: bounded)
        context.log("bytes", state.offset - offset)
        return try encode(state, nil)
    }

    /// `GET /v1/attachments/{sha256}?subset=`: the file, or the part a `Range:
    /// bytes=a-b` header names (`206`).
    private func download(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let claims = try await claims(request)
        let hash = try SyncService.attachmentHash(context.parameters.get("sha256") ?? "")
        let subset = try query(request, "subset")
        context.log("subset", subset)
        let size = try await service.downloadSize(hash, subsetName: subset, claims: claims)
        var headers: HTTPFields = [
            .contentType: "application/octet-stream", .acceptRanges: "bytes", .eTag: "\"\(hash)\"",
            .cacheControl: "private, max-age=31536000, immutable",
        ]
        var range: Range<Int64> = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            guard let requested = Self.byteRange(header, size: size) else {
                return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"])
            }
            range = requested
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        context.log("bytes", range.count)
        let service = self.service
        let sent = range
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: range.count) { writer in
            var position = sent.lowerBound
            while position < sent.upperBound {
                let end = min(position + Self.downloadPieceSize, sent.upperBound)
                let data = try await service.readAttachment(hash, range: position..<end)
                guard !data.isEmpty else { break }
                try await writer.write(ByteBuffer(bytes: data))
                position += Int64(data.count)
            }
            try await writer.finish(nil)
        })
    }

    /// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; nil when the
    /// header asks for none of the file (`416`).
    static func byteRange(_ header: String, size: Int64) -> Range<Int64>? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes="), !text.contains(",") else { return nil }
        let parts = text.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let first = Int64(parts[0].trimmingCharacters(in: .whitespaces))
        let last = Int64(parts[1].trimmingCharacters(in: .whitespaces))
        switch (first, last) {
        case (let start?, let end?) where start <= end && start < size:
            return start..<min(end + 1, size)
        case (let start?, nil) where parts[1].isEmpty && start < size:
            return start..<size
        case (nil, let count?) where parts[0].isEmpty && count > 0 && size > 0:
            return max(0, size - count)..<size
        default:
            return nil
        }
    }
}

/// An upload's body, refused with `413` once it passes the body limit.
struct BoundedPieces<Base: AsyncSequence>: AsyncSequence where Base.Element == Data {
    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var count = 0

        mutating func next() async throws -> Data? {
            guard let piece = try await base.next() else { return nil }
            count += piece.count
            guard count <= limit else {
                throw ProtocolError(status: 413, code: "body_too_large", message: "the body is larger than \(limit) bytes; send the file in smaller pieces")
            }
            return piece
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
