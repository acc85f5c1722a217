/// How a conflict between a device's change and a newer server version is resolved:
/// the schema's `conflict:`, and the runtime's `SyncConflictPolicy`. The runtime's guide
/// (Syncwright.docc, "The engine") shows each at work.
public enum ConflictPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// The server's row is kept; the device's change is dropped.
    case serverWins = "server-wins"
    /// The device's whole row is written over the server's.
    case clientWins = "client-wins"
    /// Column by column, the last write the server receives wins: the device's changed
    /// columns are applied over the server's current row. Ordered by server-assigned
    /// versions, never by device clocks.
    case lastWriteWins = "last-write-wins"
    /// Both versions are kept for the app to resolve.
    case manual
}
