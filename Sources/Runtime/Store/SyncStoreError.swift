/// Why the local store refused an operation. Nothing was changed.
///
/// Compare ``code`` with the static values of ``Code``:
///
///     catch let error as SyncStoreError where error.code == .pendingChanges { … }
public struct SyncStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal, as an extensible set of values (compare with `==`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A write the entity's access mode doesn't allow.
        public static let writeNotAllowed = Code("writeNotAllowed")
        /// An entity the model doesn't have.
        public static let unknownEntity = Code("unknownEntity")
        /// An update or delete of a row the store doesn't hold.
        public static let rowNotFound = Code("rowNotFound")
        /// A write without a key value.
        public static let missingKey = Code("missingKey")
        /// A purge refused because the unit has changes not yet pushed.
        public static let pendingChanges = Code("pendingChanges")
        /// A unit the model doesn't have.
        public static let unknownUnit = Code("unknownUnit")
        /// A rejected change or conflict that no longer exists.
        public static let notFound = Code("notFound")
        /// Data from the server that doesn't fit the model.
        public static let invalidServerData = Code("invalidServerData")
        /// An attachment that can't be added or fetched: a bad media type, a download
        /// that doesn't match its hash, a file the subset never downloads.
        public static let invalidAttachment = Code("invalidAttachment")
        /// A row merged for a conflict whose key isn't the conflict's.
        public static let keyMismatch = Code("keyMismatch")

        public var description: String { name }
    }

    private enum Kind: Sendable, Hashable {
        case writeNotAllowed(entity: String, access: SyncAccess, kind: OperationKind)
        case unknownEntity(String)
        case rowNotFound(entity: String, key: String)
        case missingKey(entity: String)
        case pendingChanges(unit: String, count: Int)
        case unknownUnit(String)
        case notFound(String)
        case invalidServerData(String)
        case invalidAttachment(String)
        case keyMismatch(entity: String)
    }

    private let kind: Kind

    /// A write the entity's access mode doesn't allow, such as any write to a
    /// read-only entity or an update of an insert-only one.
    public static func writeNotAllowed(entity: String, access: SyncAccess, kind: OperationKind) -> Self {
        Self(kind: .writeNotAllowed(entity: entity, access: access, kind: kind))
    }
    /// An entity the model doesn't have.
    public static func unknownEntity(_ name: String) -> Self { Self(kind: .unknownEntity(name)) }
    /// An update or delete of a row the store doesn't hold.
    public static func rowNotFound(entity: String, key: String) -> Self { Self(kind: .rowNotFound(entity: entity, key: key)) }
    /// A write without a key value.
    public static func missingKey(entity: String) -> Self { Self(kind: .missingKey(entity: entity)) }
    /// A purge refused because the unit has changes not yet pushed.
    public static func pendingChanges(unit: String, count: Int) -> Self { Self(kind: .pendingChanges(unit: unit, count: count)) }
    /// A unit the model doesn't have.
    public static func unknownUnit(_ name: String) -> Self { Self(kind: .unknownUnit(name)) }
    /// A rejected change or conflict that no longer exists.
    public static func notFound(_ what: String) -> Self { Self(kind: .notFound(what)) }
    /// Data from the server that doesn't fit the model; the page was not applied.
    public static func invalidServerData(_ message: String) -> Self { Self(kind: .invalidServerData(message)) }
    /// An attachment that can't be added or fetched.
    public static func invalidAttachment(_ message: String) -> Self { Self(kind: .invalidAttachment(message)) }
    /// A row merged for a conflict whose key isn't the conflict's.
    public static func keyMismatch(entity: String) -> Self { Self(kind: .keyMismatch(entity: entity)) }

    /// What kind of refusal.
    public var code: Code {
        switch kind {
        case .writeNotAllowed: .writeNotAllowed
        case .unknownEntity: .unknownEntity
        case .rowNotFound: .rowNotFound
        case .missingKey: .missingKey
        case .pendingChanges: .pendingChanges
        case .unknownUnit: .unknownUnit
        case .notFound: .notFound
        case .invalidServerData: .invalidServerData
        case .invalidAttachment: .invalidAttachment
        case .keyMismatch: .keyMismatch
        }
    }

    /// Whether this is a refused write to an entity whose access mode forbids it.
    public var isWriteNotAllowed: Bool { code == .writeNotAllowed }

    /// Whether this is a purge refused because of pending changes.
    public var isPendingChanges: Bool { code == .pendingChanges }

    public var description: String {
        switch kind {
        case let .writeNotAllowed(entity, access, kind):
            "\(entity) is \(access.rawValue) in this subset; a \(kind.rawValue) is not allowed"
        case let .unknownEntity(name): "the model has no entity '\(name)'"
        case let .rowNotFound(entity, key): "\(entity) has no row with key \(key)"
        case let .missingKey(entity): "the \(entity) has no key value"
        case let .pendingChanges(unit, count):
            "unit '\(unit)' has \(count) change\(count == 1 ? "" : "s") not yet pushed; sync first, or purge with force: true to drop them"
        case let .unknownUnit(name): "the model has no unit '\(name)'"
        case let .notFound(what): "\(what) no longer exists"
        case let .invalidServerData(message): "the server sent data that doesn't fit the model: \(message)"
        case let .invalidAttachment(message): message
        case let .keyMismatch(entity): "the merged \(entity) has another key than the conflict it resolves"
        }
    }
}
