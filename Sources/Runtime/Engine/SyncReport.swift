import Foundation

/// What one sync did: every pushed change's outcome, and the changes pulled per unit.
///
///     let report = try await engine.sync()
///     for change in report.changes {
///         if case .refused(let code) = change.outcome, change.row.is(WorkOrder.self) { … }
///     }
public struct SyncReport: Sendable, Hashable {
    /// Each change the server answered, in the order they were pushed.
    public var changes: [PushedChange] = []
    /// Changes pulled, per unit.
    public var pulled: [String: Int] = [:]
    /// Changes pulled, per entity (by its name in the schema).
    public var pulledPerEntity: [String: Int] = [:]
    /// Attachment files uploaded in this sync.
    public var attachmentsUploaded = 0
    /// Attachment files downloaded in this sync.
    public var attachmentsDownloaded = 0
    /// Files whose upload the server refused: the changes that reference them were set
    /// aside as ``RefusalCode/attachmentRefused``.
    public var attachmentsRefused = 0
    /// Pulled rows set aside because a value doesn't fit its column (the server should
    /// have refused it); everything else synced. They stay in ``SyncStore/setAsideRows()``
    /// until the server sends them in a form that fits.
    public var setAside: [SetAsideRow] = []

    /// An empty report.
    public init() {}

    /// Changes the server applied as they were sent.
    public var pushed: Int { changes.count { $0.outcome == .applied } }
    /// Changes that met a newer server version (resolved by the entity's policy, or kept
    /// for the app under `manual`).
    public var conflicts: Int { changes.count { if case .conflict = $0.outcome { true } else { false } } }
    /// Changes the server refused; they wait in ``SyncStore/rejectedChanges()``.
    public var rejected: Int { changes.count { if case .refused = $0.outcome { true } else { false } } }
}

/// One pushed change and what became of it.
public struct PushedChange: Sendable, Hashable {
    /// The row it changed.
    public var row: SyncRowID
    /// Insert, update or delete.
    public var kind: OperationKind
    /// What the server did with it.
    public var outcome: Outcome
    /// The operation's id, which the server's push results are stored under.
    public var opID: String

    /// Creates a pushed change.
    public init(row: SyncRowID, kind: OperationKind, outcome: Outcome, opID: String) {
        self.row = row
        self.kind = kind
        self.outcome = outcome
        self.opID = opID
    }

    /// What the server did with a change.
    public enum Outcome: Sendable, Hashable {
        /// Applied as sent.
        case applied
        /// The row had changed on the server since the device read it; `policy` decided
        /// what happened, and `resolution` says what was kept.
        case conflict(policy: SyncConflictPolicy, resolution: ConflictResolutionOutcome)
        /// Refused; the change waits in ``SyncStore/rejectedChanges()`` and its row is
        /// marked (``SyncStore/rejectedKeys(of:)``) until the app retries or discards it.
        case refused(RefusalCode)
    }
}

/// What a conflict's policy kept.
public enum ConflictResolutionOutcome: Sendable, Hashable {
    /// `server-wins`: the server's row stands and the device's change was dropped; it is
    /// recorded in ``SyncStore/overwrittenChanges()`` so the app can show what was lost.
    case serverKept
    /// `client-wins` or `last-write-wins`: the device's change is sent again over the
    /// server's version (with `last-write-wins`, only the columns it changed).
    case resent
    /// `manual`: kept for the app in ``SyncStore/conflicts()``.
    case keptForApp
    /// Both sides deleted the row.
    case bothDeleted
    /// The row kept changing on the server; the change was set aside as refused
    /// (`conflict_retry_limit`).
    case setAside
}

/// Why the server refused a change: its machine code, as an extensible set of values
/// (compare with `==`). docs/protocol.md lists every code.
public struct RefusalCode: Sendable, Hashable, CustomStringConvertible, RawRepresentable, ExpressibleByStringLiteral {
    /// The code as the server sent it (`owner_mismatch`).
    public let rawValue: String

    /// A code as the server sent it.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A code written as a literal: `rejected.code == "owner_mismatch"`.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// The entity isn't in the subset.
    public static let unknownEntity = RefusalCode(rawValue: "unknown_entity")
    /// The entity is read-only in the subset.
    public static let readOnly = RefusalCode(rawValue: "read_only")
    /// The entity is insert-only: rows can't be changed or deleted.
    public static let insertOnly = RefusalCode(rawValue: "insert_only")
    /// The key isn't a valid value of the key field.
    public static let invalidKey = RefusalCode(rawValue: "invalid_key")
    /// An include was set.
    public static let includeNotWritable = RefusalCode(rawValue: "include_not_writable")
    /// `version` or `updatedAt` was set.
    public static let serverManaged = RefusalCode(rawValue: "server_managed")
    /// A column the subset doesn't select was set.
    public static let columnNotInSubset = RefusalCode(rawValue: "column_not_in_subset")
    /// The values' key differs from the change's key.
    public static let keyMismatch = RefusalCode(rawValue: "key_mismatch")
    /// A value of the wrong type.
    public static let typeMismatch = RefusalCode(rawValue: "type_mismatch")
    /// A non-null field set to null.
    public static let nullNotAllowed = RefusalCode(rawValue: "null_not_allowed")
    /// An enum field set to a value that isn't a case.
    public static let unknownEnumCase = RefusalCode(rawValue: "unknown_enum_case")
    /// An insert without a value for a required field.
    public static let missingValue = RefusalCode(rawValue: "missing_value")
    /// An update of a row that never existed.
    public static let notFound = RefusalCode(rawValue: "not_found")
    /// A change to a row outside the caller's subset.
    public static let outsideSubset = RefusalCode(rawValue: "outside_subset")
    /// The change would hand the row to someone else.
    public static let ownerMismatch = RefusalCode(rawValue: "owner_mismatch")
    /// A reference to a row the caller's subset doesn't hold.
    public static let referenceOutsideSubset = RefusalCode(rawValue: "reference_outside_subset")
    /// A database constraint the schema doesn't state.
    public static let constraintViolation = RefusalCode(rawValue: "constraint_violation")
    /// Set aside on the device after the row kept changing on the server.
    public static let conflictRetryLimit = RefusalCode(rawValue: "conflict_retry_limit")
    /// Needed a change the server refused (an earlier change to the row, the insert of
    /// the row it points at); ``RejectedChange/dependsOn`` names it.
    public static let dependsOnRejected = RefusalCode(rawValue: "depends_on_rejected")
    /// A rule of the server's own failed on the change; the server's log has the details.
    public static let ruleFailed = RefusalCode(rawValue: "rule_failed")
    /// Set aside on the device: the server refused the change alone as too large to
    /// receive (`413`); it was never applied.
    public static let tooLarge = RefusalCode(rawValue: "too_large")
    /// The server doesn't have the file the change references (it was never uploaded).
    public static let attachmentMissing = RefusalCode(rawValue: "attachment_missing")
    /// The file the change references is larger than the entity's attachments may be.
    public static let attachmentTooLarge = RefusalCode(rawValue: "attachment_too_large")
    /// Set aside on the device: the server refused the upload of the file the change
    /// references (too large, not writable, or not matching its hash).
    public static let attachmentRefused = RefusalCode(rawValue: "attachment_refused")
}

/// A row of a synced entity: the entity's name and its typed key.
public struct SyncRowID: Sendable, Hashable, CustomStringConvertible {
    /// The entity's name in the schema (`WorkOrder`).
    public var entity: String
    /// The row's key.
    public var key: SyncKey

    /// Creates a row id.
    public init(entity: String, key: SyncKey) {
        self.entity = entity
        self.key = key
    }

    /// Whether the row is one of `type`'s.
    public func `is`<Entity: SyncEntity>(_ type: Entity.Type) -> Bool {
        entity == Entity.Sync.descriptor.name
    }

    public var description: String { "\(entity) \(key)" }
}

/// A row's key, typed as its key field is.
public enum SyncKey: Sendable, Hashable, CustomStringConvertible {
    /// A `uuid` key.
    case uuid(UUID)
    /// An `int` key.
    case int(Int64)
    /// A `string` key (and any other type, in its wire text).
    case string(String)

    /// The key a wire value stands for, read as `type`.
    public init(_ value: JSONValue, type: ColumnType) {
        switch (type, value) {
        case (.uuid, .string(let text)) where UUID(uuidString: text) != nil: self = .uuid(UUID(uuidString: text)!)
        case (.int, _) where value.integerValue != nil: self = .int(value.integerValue!)
        case (_, .string(let text)): self = .string(text)
        default: self = .string(value.jsonText)
        }
    }

    /// The key as it travels on the wire.
    public var wireValue: JSONValue {
        switch self {
        case .uuid(let uuid): .string(uuid.uuidString.lowercased())
        case .int(let integer): .integer(integer)
        case .string(let text): .string(text)
        }
    }

    public var description: String {
        switch self {
        case .uuid(let uuid): uuid.uuidString.lowercased()
        case .int(let integer): String(integer)
        case .string(let text): text
        }
    }
}
