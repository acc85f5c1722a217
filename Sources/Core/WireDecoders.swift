import Foundation

/// Reads a `POST /v1/pull` answer straight from its bytes.
///
/// Pull pages are the largest messages a device receives; `JSONDecoder` would spend
/// more time on them than applying their rows takes. This parser reads the page in one
/// pass, reuses the strings of row keys that repeat from row to row, and builds the
/// same ``PullResponse`` `JSONDecoder` would. Unknown members are skipped.
public enum PullResponseDecoder {
    /// Why a page couldn't be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What was wrong, and the byte offset where.
        public var description: String
    }

    /// Decodes a page.
    public static func decode(_ data: Data) throws(Failure) -> PullResponse {
        try JSONByteParser.parse(data) { (parser: inout JSONByteParser) throws(PullResponseDecoder.Failure) in try parser.pullResponse() }
    }
}

/// Reads a `POST /v1/push` answer straight from its bytes, as ``PullResponseDecoder``
/// reads pull pages: a push of a thousand inserts is answered with a thousand rows.
public enum PushResponseDecoder {
    /// Decodes a push answer.
    public static func decode(_ data: Data) throws(PullResponseDecoder.Failure) -> PushResponse {
        try JSONByteParser.parse(data) { (parser: inout JSONByteParser) throws(PullResponseDecoder.Failure) in try parser.pushResponse() }
    }
}

/// Reads a `POST /v1/push` request from its bytes, for servers: the reference server
/// reads a thousand operations per request.
public enum PushRequestDecoder {
    /// Decodes a push request; the error names the byte offset of the problem.
    public static func decode(_ data: Data) throws(PullResponseDecoder.Failure) -> PushRequest {
        try JSONByteParser.parse(data) { (parser: inout JSONByteParser) throws(PullResponseDecoder.Failure) in try parser.pushRequest() }
    }
}

