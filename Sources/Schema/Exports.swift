// The vocabulary the schema shares with the runtime and the server (ScalarType,
// AccessMode, ConflictPolicy, the unit order) lives in SyncwrightCore; importing
// SyncwrightSchema brings it along.
@_exported import SyncwrightCore
