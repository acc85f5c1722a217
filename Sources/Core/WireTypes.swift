/// The wire protocol's messages (JSON over HTTP). docs/protocol.md describes them.

/// What a push operation does.
public enum OperationKind: String, Sendable, Hashable, Codable {
    /// A new row.
    case insert
    /// Changed columns of an existing row.
    case update
    /// A removed row.
    case delete
}

/// `POST /v1/push` request.
public struct PushRequest: Sendable, Hashable, Codable {
    /// A stable id of this device's store.
    public var clientId: String
    /// The subset the device syncs.
    public var subset: String
    /// The schema hash of the device's generated model.
    public var schemaHash: String
    /// The operations, in the order they were made.
    public var ops: [PushOperation]

    /// Creates a request.
    public init(clientId: String, subset: String, schemaHash: String, ops: [PushOperation]) {
        self.clientId = clientId
        self.subset = subset
        self.schemaHash = schemaHash
        self.ops = ops
    }
}

/// One local change.
public struct PushOperation: Sendable, Hashable, Codable {
    /// Unique and stable across retries: replaying it returns the first result.
    public var opId: String
    /// The entity's name.
    public var entity: String
    /// Insert, update or delete.
    public var kind: OperationKind
    /// The row's key.
    public var key: JSONValue
    /// The server version the change was based on; nil for an insert.
    public var baseVersion: Int64?
    /// For an insert every writable column; for an update the changed ones; nil for a delete.
    public var values: [String: JSONValue]?

    /// Creates an operation.
    public init(opId: String, entity: String, kind: OperationKind, key: JSONValue, baseVersion: Int64?,
                values: [String: JSONValue]?) {
        self.opId = opId
        self.entity = entity
        self.kind = kind
        self.key = key
        self.baseVersion = baseVersion
        self.values = values
    }
}

/// `POST /v1/push` response.
public struct PushResponse: Sendable, Hashable, Codable {
    /// One result per operation, in order.
    public var results: [PushResult]

    /// Creates a response.
    public init(results: [PushResult]) {
        self.results = results
    }
}

/// The outcome of one operation.
public struct PushResult: Sendable, Hashable, Codable {
    /// What happened.
    public enum Status: String, Sendable, Hashable, Codable {
        /// The change is on the server; `version` is the row's new version.
        case applied
        /// The row changed on the server since `baseVersion`; `row` and `version` are the
        /// server's current row (no `row`: the server deleted it).
        case conflict
        /// The server refused the change; `code` and `reason` say why.
        case rejected
    }

    /// The operation answered.
    public var opId: String
    /// What happened.
    public var status: Status
    /// The row's version on the server after the operation (or its current one, on a conflict).
    public var version: Int64?
    /// The server's row: after an insert or update it may carry server-set values; on a
    /// conflict it is the current row (nil when the server deleted it).
    public var row: [String: JSONValue]?
    /// Why a change was rejected, for people.
    public var reason: String?
    /// Why a change was rejected, for programs: `read_only`, `outside_subset`, …
    public var code: String?
    /// `true` when the change was applied and left the row outside the caller's subset
    /// by the row's own conditions (an order written as `cancelled` where the subset
    /// keeps open ones): the device removes its copy, as no pull will.
    public var leftSubset: Bool?
    /// For a change refused with `depends_on_rejected`: the op id of the refused change
    /// it needed (an earlier op of the push on the same row, or the insert of the row it
    /// points at), the first of its chain.
    public var dependsOn: String?

    /// Creates a result.
    public init(opId: String, status: Status, version: Int64? = nil, row: [String: JSONValue]? = nil,
                reason: String? = nil, code: String? = nil, leftSubset: Bool? = nil, dependsOn: String? = nil) {
        self.opId = opId
        self.status = status
        self.version = version
        self.row = row
        self.reason = reason
        self.code = code
        self.leftSubset = leftSubset
        self.dependsOn = dependsOn
    }
}

/// `POST /v1/pull` request.
public struct PullRequest: Sendable, Hashable, Codable {
    /// The subset the device syncs.
    public var subset: String
    /// The schema hash of the device's generated model.
    public var schemaHash: String
    /// The units to pull with the cursor each stopped at (nil: from the start).
    public var units: [String: String?]
    /// The most changes to return.
    public var limit: Int
    /// Seconds the server may hold the request while the caller's buckets have nothing
    /// after its cursors: it answers as soon as a change lands in one of them, or with
    /// an empty page (the same cursors) when the time is up. Nil or 0 answers at once.
    public var wait: Double?

    /// Creates a request.
    public init(subset: String, schemaHash: String, units: [String: String?], limit: Int, wait: Double? = nil) {
        self.subset = subset
        self.schemaHash = schemaHash
        self.units = units
        self.limit = limit
        self.wait = wait
    }
}

/// One change to apply locally.
public struct PullChange: Sendable, Hashable, Codable {
    /// Put a row, or remove it (deleted, or no longer in the caller's subset).
    public enum Operation: String, Sendable, Hashable, Codable {
        /// Insert or replace the row.
        case put
        /// Delete the row locally.
        case remove
    }

    /// The entity's name.
    public var entity: String
    /// Put or remove.
    public var op: Operation
    /// The row's key.
    public var key: JSONValue
    /// The row's selected columns and includes, for a put.
    public var row: [String: JSONValue]?
    /// The row's version.
    public var version: Int64?

    /// Creates a change.
    public init(entity: String, op: Operation, key: JSONValue, row: [String: JSONValue]? = nil, version: Int64? = nil) {
        self.entity = entity
        self.op = op
        self.key = key
        self.row = row
        self.version = version
    }
}

/// `POST /v1/pull` response: one page.
public struct PullResponse: Sendable, Hashable, Codable {
    /// The changes, in the order to apply them.
    public var changes: [PullChange]
    /// The cursor after this page, per unit.
    public var units: [String: String]
    /// Whether more changes wait.
    public var more: Bool
    /// How many changes the server estimates remain, for progress; optional.
    public var estimate: Int?
    /// The id of the request that brought the page (its `X-Request-ID`), which the
    /// server's log names; not part of the body.
    public var requestID: String?

    private enum CodingKeys: String, CodingKey {
        case changes, units, more, estimate
    }

    /// Creates a page.
    public init(changes: [PullChange], units: [String: String], more: Bool, estimate: Int? = nil, requestID: String? = nil) {
        self.changes = changes
        self.units = units
        self.more = more
        self.estimate = estimate
        self.requestID = requestID
    }
}

/// `GET /v1/schema` response.
public struct SchemaResponse: Sendable, Hashable, Codable {
    /// The server's schema hash: the one apps built now get.
    public var hash: String
    /// The subsets it serves.
    public var subsets: [String]
    /// Every schema hash the server serves: ``hash`` first, then the older versions
    /// installed apps may still sync with, oldest first. An app whose hash isn't listed
    /// must be updated, unless it is in ``upcoming``.
    public var served: [String]
    /// Hashes a newer deploy of the server already serves and this server doesn't yet,
    /// during a rolling deploy: an app on one of them retries later instead of being
    /// told to update.
    public var upcoming: [String]

    /// Creates a response.
    public init(hash: String, subsets: [String], served: [String]? = nil, upcoming: [String] = []) {
        self.hash = hash
        self.subsets = subsets
        self.served = served ?? [hash]
        self.upcoming = upcoming
    }

    private enum CodingKeys: String, CodingKey {
        case hash, subsets, served, upcoming
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hash = try container.decode(String.self, forKey: .hash)
        subsets = try container.decode([String].self, forKey: .subsets)
        // A server from before schema versions were served lists only its own.
        served = try container.decodeIfPresent([String].self, forKey: .served) ?? [hash]
        upcoming = try container.decodeIfPresent([String].self, forKey: .upcoming) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hash, forKey: .hash)
        try container.encode(subsets, forKey: .subsets)
        try container.encode(served, forKey: .served)
        if !upcoming.isEmpty { try container.encode(upcoming, forKey: .upcoming) }
    }

    /// Whether an app built against `schemaHash` may sync with the server.
    public func serves(_ schemaHash: String) -> Bool {
        served.contains(schemaHash)
    }
}

/// The body of every error response.
public struct ErrorResponse: Sendable, Hashable, Codable {
    /// A short code, such as `schema_hash_unknown`.
    public var error: String
    /// A sentence for people.
    public var message: String
    /// The request's id (its `X-Request-ID`), which the server's log names.
    public var requestId: String?
    /// With `resync_required`: the units of the request whose cursors can't be
    /// continued, each to be pulled again from `null`; the request's other units keep
    /// their cursors.
    public var units: [String]?

    /// Creates an error body.
    public init(error: String, message: String, requestId: String? = nil, units: [String]? = nil) {
        self.error = error
        self.message = message
        self.requestId = requestId
        self.units = units
    }
}
