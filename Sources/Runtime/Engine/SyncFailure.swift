import Foundation
import GRDB

/// Why a sync failed: the one error ``SyncEngine/sync(units:)`` throws, and the value
/// ``SyncStatus/Activity/failed(_:)`` carries.
///
/// Compare ``code`` with the static values of ``Code``; ``isRetryable`` says whether the
/// same sync may succeed later without any change (the engine has already retried it
/// with backoff). Pending changes are never dropped because a sync failed.
///
///     do {
///         try await engine.sync()
///     } catch let failure as SyncFailure where failure.code == .unauthorized {
///         await session.signIn()
///     } catch let failure as SyncFailure {
///         banner.show(failure.message, retry: failure.isRetryable)
///     }
public struct SyncFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, as an extensible set of values (compare with `==`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// 401: no token, or an invalid, expired or forged one; or the app's token
        /// provider failed. Sign in again.
        public static let unauthorized = Code("unauthorized")
        /// 403 for anything but the subset itself (``subsetForbidden`` is that): the
        /// server refused this token something else.
        public static let forbidden = Code("forbidden")
        /// 403: this token may not use this subset — it lacks a claim the subset needs
        /// (`claim_missing`) or its claims fail the subset's `allow` (`subset_forbidden`).
        /// The one code an app checks to say "you may not use this"; ``SyncFailure/serverCode``
        /// says which.
        public static let subsetForbidden = Code("subsetForbidden")
        /// The server no longer serves this app's schema: update the app (``SyncFailure/outdated``).
        public static let outdated = Code("outdated")
        /// The device has no network, or the request or its answer was lost.
        public static let network = Code("network")
        /// The server took longer than the timeout.
        public static let timeout = Code("timeout")
        /// 429: the server asks to slow down.
        public static let tooManyRequests = Code("tooManyRequests")
        /// 5xx: the server failed or is being updated.
        public static let server = Code("server")
        /// 413 or 422: the server refused the request's body; a bug on one side.
        public static let invalidRequest = Code("invalidRequest")
        /// The server's answer doesn't follow the protocol or doesn't fit the model.
        public static let invalidResponse = Code("invalidResponse")
        /// The local store refused: a unit the model doesn't have, a full disk, …
        public static let localStore = Code("localStore")
        /// A later request discarded this sync before it ran.
        public static let cancelled = Code("cancelled")
        /// Anything else; ``SyncFailure/message`` says what.
        public static let unknown = Code("unknown")

        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// A sentence for people.
    public var message: String
    /// The server's own `error` code (`claim_missing`, `schema_retired`, …), when it answered with one.
    public var serverCode: String?
    /// The HTTP status, when the server answered.
    public var status: Int?
    /// The request's id (`X-Request-ID`): the server's log names it, so a device's report
    /// can be matched with the server's side.
    public var requestID: String?
    /// Whether trying the same sync later may succeed without any change (network,
    /// timeouts, 429, 5xx). The engine retried it already as ``RetryPolicy`` says.
    public var isRetryable: Bool
    /// With ``Code/outdated``: what the server serves.
    public var outdated: AppOutdated?

    /// Creates a failure.
    public init(code: Code, message: String, serverCode: String? = nil, status: Int? = nil, requestID: String? = nil,
                isRetryable: Bool = false, outdated: AppOutdated? = nil) {
        self.code = code
        self.message = message
        self.serverCode = serverCode
        self.status = status
        self.requestID = requestID
        self.isRetryable = isRetryable
        self.outdated = outdated
    }

    /// The failure for any error a sync can meet.
    public init(_ error: any Error) {
        switch error {
        case let failure as SyncFailure:
            self = failure
        case let transport as SyncTransportError:
            self.init(code: Self.code(for: transport), message: transport.message, serverCode: transport.serverCode,
                      status: transport.status, requestID: transport.requestID, isRetryable: transport.isTransient)
        case let outdated as AppOutdated:
            self.init(code: .outdated, message: outdated.message, status: 409, outdated: outdated)
        case let store as SyncStoreError:
            self.init(code: store.code == .invalidServerData ? .invalidResponse : .localStore, message: store.description)
        case let database as DatabaseError:
            self.init(code: .localStore, message: "the local database failed: \(database.message ?? "\(database.resultCode)")")
        case is CancellationError:
            self.init(code: .cancelled, message: "a later request discarded this sync before it ran")
        default:
            self.init(code: .unknown, message: "\(error)")
        }
    }

    /// The same as ``isRetryable``.
    public var isTransient: Bool { isRetryable }

    /// `HTTP 401 unauthorized: the token expired (request 3f2…)`.
    public var description: String {
        var text = (status.map { "HTTP \($0) " } ?? "") + (serverCode.map { "\($0)" } ?? "")
        text = text.trimmingCharacters(in: .whitespaces)
        text += (text.isEmpty ? "" : ": ") + message
        if let requestID { text += " (request \(requestID))" }
        return text
    }

    private static func code(for error: SyncTransportError) -> Code {
        switch error.code {
        case .unauthorized: .unauthorized
        case .forbidden: ["subset_forbidden", "claim_missing"].contains(error.serverCode) ? .subsetForbidden : .forbidden
        case .schemaMismatch: .outdated
        case .invalidRequest: .invalidRequest
        case .tooManyRequests: .tooManyRequests
        case .server: .server
        case .network: .network
        case .timeout: .timeout
        case .invalidResponse, .unexpectedStatus, .resyncRequired: .invalidResponse
        default: .unknown
        }
    }
}
