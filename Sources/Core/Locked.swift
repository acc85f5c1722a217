import Foundation

/// A value behind a lock, for the few pieces of state shared across threads: the one
/// lock type of the runtime, the generator and the server. (`Synchronization.Mutex`
/// needs macOS 15 and iOS 18; the runtime supports older systems.)
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Creates the lock around `value`.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with the value, alone.
    public func withValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
