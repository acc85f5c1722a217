import Hummingbird
import Logging
import SyncwrightCore

/// The request context of the reference server: Hummingbird's core storage, the
/// request's id, and what the handlers add to the request's log line.
public struct SyncRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's id: its `X-Request-ID` when it sent a usable one, else a new one.
    /// Answers carry it back in `X-Request-ID`, and every log line of the request has it.
    public var requestID = ""
    /// What the handlers add to the request's log line (subset, ops, changes, …); shared
    /// by the copies of the context the middleware and the handler hold.
    let logMetadata = Locked<Logger.Metadata>([:])

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }

    /// Adds `value` under `key` to the request's log line.
    func log(_ key: String, _ value: some CustomStringConvertible) {
        logMetadata.withValue { $0[key] = "\(value)" }
    }
}
