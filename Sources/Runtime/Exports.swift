// Generated code and apps use GRDB's query interface (`Column`, `fetchAll`,
// `DatabaseValueConvertible`) with the runtime; importing Syncwright brings it along.
@_exported import GRDB

// The wire types, JSONValue and the value rules live in SyncwrightCore, which the
// reference server shares; importing Syncwright brings them along.
@_exported import SyncwrightCore
