/// A request the server refuses as a whole, answered with an HTTP status and a JSON
/// `{error, message}` body.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status.
    public var status: Int
    /// A short code for programs: `unauthorized`, `claim_missing`, `schema_hash_unknown`, …
    public var code: String
    /// A sentence for people.
    public var message: String
    /// With `resync_required`: the units to pull again from the start.
    public var units: [String]?

    /// Creates an error.
    public init(status: Int, code: String, message: String, units: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.units = units
    }

    public var description: String { "\(status) \(code): \(message)" }

    static func unauthorized(_ message: String) -> Self { Self(status: 401, code: "unauthorized", message: message) }
    static func claimMissing(_ message: String) -> Self { Self(status: 403, code: "claim_missing", message: message) }
    static func subsetForbidden(_ message: String) -> Self { Self(status: 403, code: "subset_forbidden", message: message) }
    static func invalidRequest(_ message: String) -> Self { Self(status: 422, code: "invalid_request", message: message) }
    static func schemaHashUnknown(_ hash: String, expected: String) -> Self {
        Self(status: 409, code: "schema_hash_unknown",
             message: "the server doesn't know schema hash \(hash.prefix(16))…; it serves \(expected.prefix(16))…; update the app")
    }
    static func schemaRetired(_ hash: String) -> Self {
        Self(status: 409, code: "schema_retired",
             message: "schema \(hash.prefix(16))… is retired on this server; update the app")
    }
    static func schemaUpcoming(_ hash: String) -> Self {
        Self(status: 503, code: "schema_upcoming",
             message: "schema \(hash.prefix(16))… is served by a newer deploy of this server, not by this one yet; retry shortly")
    }
    /// A newer deploy filed the entity's buckets by ids this server doesn't read.
    static func bucketsUpcoming(entity: String, subset: String) -> Self {
        Self(status: 503, code: "schema_upcoming",
             message: "\(entity) of subset \(subset) is filed into buckets by a newer deploy of this server, not by this one; retry shortly")
    }
    static func resyncRequired(_ message: String, units: [String]) -> Self {
        Self(status: 410, code: "resync_required", message: message, units: units)
    }
}
