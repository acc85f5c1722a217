import Foundation
import GRDB
import GRDBSQLite

/// The default storage: one SQLite file through GRDB, in WAL mode so pulls read while a
/// push writes. Write transactions are serialized by the server (`BEGIN IMMEDIATE`).
public final class SQLiteServerDatabase: ServerDatabase {
    public let dialect = SQLDialect.sqlite
    private let pool: DatabasePool
    /// The connection ``commitStamp`` reads `data_version` on.
    private let stampConnection: DatabaseQueue
    private let writeLock = AsyncLock()
    private let path: String

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // A push's transaction spans several async statements; ``write(_:)`` serializes
        // writers and always commits or rolls back.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Savepoints' statement journals stay in memory rather than temporary files.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Up to 64 MiB of pages per connection: a push touches pages all over the
            // key indexes of large tables.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoint every ~40 MB of log rather than every 4 MB: pushes commit often,
            // and a page changed by several of them is copied back once.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var stampConfiguration = Configuration()
            stampConfiguration.readonly = true
            stampConfiguration.busyMode = .timeout(1)
            stampConnection = try DatabaseQueue(path: path, configuration: stampConfiguration)
        } catch {
            throw ServerDatabaseError("can't open the SQLite database at \(path): \(error)")
        }
    }

    /// SQLite's `PRAGMA data_version`, read on a connection of its own that never
    /// writes: it changes with every commit by any other connection — this server's
    /// writer, another server process, another system writing straight into the file —
    /// and never misses one the way the files' times and sizes can (a log reset to the
    /// same size within the file system's time resolution). The pragma reads the shared
    /// log index only, no page of the database: it costs nothing while nothing changes.
    public var commitStamp: String? {
        guard let version = try? stampConnection.inDatabase({ try Int64.fetchOne($0, sql: "PRAGMA data_version") }) else {
            return nil
        }
        return String(version)
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            let connection = Connection(pool: pool)
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            do {
                let result = try await body(connection)
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                return result
            } catch {
                try? await pool.writeWithoutTransaction { db in
                    if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                }
                throw error
            }
        }
    }

    public func read(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows {
        try await pool.read { db in try Self.fetch(db, sql, arguments) }
    }

    /// Runs a read and hands each result row to `consume` as the raw SQLite statement,
    /// for readers that turn columns into bytes without building Swift values.
    func readRaw(_ sql: String, _ arguments: [SQLValue], _ consume: @escaping @Sendable (OpaquePointer) throws -> Void) async throws {
        try await pool.read { db in try Self.forEachRow(db, sql, arguments, consume) }
    }

    public func close() async throws {
        try stampConnection.close()
        try pool.close()
    }

    /// Statements inside a write transaction, each run on GRDB's writer connection.
    /// They are synchronous calls: a statement takes microseconds, less than a hop to
    /// another executor would, and pushes run many of them.
    struct Connection: SQLConnection {
        let pool: DatabasePool

        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            do {
                try Self.run(pool) { db in
                    let statement = try SQLiteServerDatabase.prepared(db, sql, arguments)
                    try statement.execute()
                }
            } catch let error as DatabaseError {
                throw ServerDatabaseError("SQLite: \(error.message ?? error.description)")
            }
        }

        func query(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows {
            do {
                return try Self.run(pool) { db in try SQLiteServerDatabase.fetch(db, sql, arguments) }
            } catch let error as DatabaseError {
                throw ServerDatabaseError("SQLite: \(error.message ?? error.description)")
            }
        }

        /// Runs a query in the transaction and hands each result row to `consume` as the
        /// raw SQLite statement, like ``SQLiteServerDatabase/readRaw(_:_:_:)``.
        func queryRaw(_ sql: String, _ arguments: [SQLValue], _ consume: (OpaquePointer) throws -> Void) throws {
            do {
                try Self.run(pool) { db in try SQLiteServerDatabase.forEachRow(db, sql, arguments, consume) }
            } catch let error as DatabaseError {
                throw ServerDatabaseError("SQLite: \(error.message ?? error.description)")
            }
        }
    }

}

extension SQLiteServerDatabase.Connection {
    /// GRDB's blocking write access, from synchronous code.
    static func run<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(body)
    }
}

extension SQLiteServerDatabase {
    /// SQLite's "copy the value now" destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A cached statement with `arguments` bound. Text is bound with its length, so a NUL
    /// inside a value, a claim or an op id is part of it (GRDB binds text up to the first
    /// NUL).
    static func prepared(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> Statement {
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments(statementArguments(arguments))
        for (index, value) in arguments.enumerated() {
            guard case .text(let text) = value, text.utf8.contains(0) else { continue }
            let bytes = Array(text.utf8)
            let code = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    sqlite3_bind_text(statement.sqliteStatement, Int32(index + 1), $0.baseAddress, Int32($0.count), transient)
                }
            }
            guard code == SQLITE_OK else { throw ServerDatabaseError("binding argument \(index + 1) failed (\(code))") }
        }
        return statement
    }

    static func fetch(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> SQLRows {
        let statement = try prepared(db, sql, arguments)
        let cursor = try Row.fetchCursor(statement)
        var rows: SQLRows = []
        let raw = statement.sqliteStatement
        let count = sqlite3_column_count(raw)
        while try cursor.next() != nil {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count {
                switch sqlite3_column_type(raw, column) {
                case SQLITE_NULL: values.append(.null)
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(raw, column)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(raw, column)))
                case SQLITE_TEXT:
                    // Read with its length: NULs stay, invalid UTF-8 becomes U+FFFD.
                    let bytes = UnsafeBufferPointer(start: sqlite3_column_text(raw, column), count: Int(sqlite3_column_bytes(raw, column)))
                    values.append(.text(String(decoding: bytes, as: UTF8.self)))
                default:
                    let count = Int(sqlite3_column_bytes(raw, column))
                    values.append(.blob(count == 0 ? Data() : Data(bytes: sqlite3_column_blob(raw, column), count: count)))
                }
            }
            rows.append(values)
        }
        return rows
    }

    /// Steps through a query's rows, handing each to `consume` as the raw statement.
    static func forEachRow(_ db: Database, _ sql: String, _ arguments: [SQLValue], _ consume: (OpaquePointer) throws -> Void) throws {
        let statement = try prepared(db, sql, arguments)
        let cursor = try Row.fetchCursor(statement)
        while try cursor.next() != nil {
            try consume(statement.sqliteStatement)
        }
    }

    static func statementArguments(_ values: [SQLValue]) -> StatementArguments {
        // The existential form: GRDB's generic initializer maps through a key path,
        // which costs more than the statement itself.
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: DatabaseValue.null
            case .integer(let integer): integer.databaseValue
            case .real(let number): number.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let data): data.databaseValue
            case .bool(let flag): flag.databaseValue
            }
        })
    }
}
