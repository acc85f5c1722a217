// Generated code and apps use GRDB's query interface (`Column`, `fetchAll`,
// `DatabaseValueConvertible`) with the runtime; importing Syncwright brings it along.
@_exported import GRDB
