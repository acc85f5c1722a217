import GRDB

/// The store's migrations: the bookkeeping tables once (GRDB's migrator, by identity),
/// then ``ModelMigration``, keyed by the schema hash the store was last opened with.
enum StoreMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("syncwright-bookkeeping-1") { db in
            try db.execute(sql: """
                CREATE TABLE syncwright_metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE syncwright_outbox (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    opId TEXT NOT NULL UNIQUE,
                    entity TEXT NOT NULL,
                    rowKey TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    baseVersion INTEGER,
                    changedColumns TEXT NOT NULL,
                    sent INTEGER NOT NULL DEFAULT 0,
                    conflictRetries INTEGER NOT NULL DEFAULT 0,
                    createdAt REAL NOT NULL
                );
                CREATE INDEX syncwright_outbox_row ON syncwright_outbox (entity, rowKey);
                CREATE TABLE syncwright_rejected (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    opId TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    rowKey TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    baseVersion INTEGER,
                    sentValues TEXT,
                    changedColumns TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    code TEXT NOT NULL,
                    serverRow TEXT,
                    serverVersion INTEGER,
                    rejectedAt REAL NOT NULL
                );
                CREATE TABLE syncwright_conflicts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    entity TEXT NOT NULL,
                    rowKey TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    changedColumns TEXT NOT NULL,
                    localValues TEXT,
                    serverRow TEXT,
                    serverVersion INTEGER,
                    detectedAt REAL NOT NULL
                );
                CREATE TABLE syncwright_cursors (unit TEXT PRIMARY KEY NOT NULL, cursor TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("syncwright-bookkeeping-2") { db in
            // Rows a unit held when it started downloading from scratch and that the
            // download hasn't delivered again yet (see `SyncStore.applyPulledPage`);
            // and the values an operation was first sent with, which every resend of
            // it repeats (see `SyncStore.nextPushBatch`).
            try db.execute(sql: """
                CREATE TABLE syncwright_resync (
                    unit TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    key NOT NULL,
                    PRIMARY KEY (unit, entity, key)
                ) WITHOUT ROWID;
                ALTER TABLE syncwright_outbox ADD COLUMN sentValues TEXT;
                """)
        }
        migrator.registerMigration("syncwright-bookkeeping-3") { db in
            // Device changes a `server-wins` conflict dropped, kept for the app to show
            // (see `SyncStore.overwrittenChanges()`); and whether a rejected change's
            // `serverRow` is the server's row as last heard of (NULL: not the device's
            // to have), kept current by pulls, which `discard` puts back; and, for
            // `SyncStore.explain`, how often a change's push failed and why.
            try db.execute(sql: """
                CREATE TABLE syncwright_overwritten (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    entity TEXT NOT NULL,
                    rowKey TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    changedColumns TEXT NOT NULL,
                    localValues TEXT,
                    serverRow TEXT,
                    serverVersion INTEGER,
                    overwrittenAt REAL NOT NULL
                );
                CREATE INDEX syncwright_rejected_row ON syncwright_rejected (entity, rowKey);
                ALTER TABLE syncwright_rejected ADD COLUMN serverRowKnown INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE syncwright_outbox ADD COLUMN failedAttempts INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE syncwright_outbox ADD COLUMN lastError TEXT;
                """)
        }
        migrator.registerMigration("syncwright-bookkeeping-4") { db in
            // The refused change a rejected one needed (`depends_on_rejected`): its op id.
            try db.execute(sql: "ALTER TABLE syncwright_rejected ADD COLUMN dependsOn TEXT")
        }
        migrator.registerMigration("syncwright-bookkeeping-5") { db in
            // Attachment files kept beside the store: the ones the device made, until the
            // server has them (`uploaded`), for the entity and field a change wrote them to.
            try db.execute(sql: """
                CREATE TABLE syncwright_attachments (
                    sha256 TEXT PRIMARY KEY NOT NULL,
                    size INTEGER NOT NULL,
                    mediaType TEXT NOT NULL,
                    uploaded INTEGER NOT NULL DEFAULT 0,
                    uploadEntity TEXT,
                    uploadField TEXT,
                    lastError TEXT,
                    createdAt REAL NOT NULL
                )
                """)
        }
        migrator.registerMigration("syncwright-bookkeeping-6") { db in
            // The server version a retry of a refused change builds on: the row's version
            // when it was refused, moved on by the device's own changes to the row that
            // the server applied since; a change by anyone else makes the retry a conflict.
            try db.execute(sql: "ALTER TABLE syncwright_rejected ADD COLUMN retryBase INTEGER")
        }
        migrator.registerMigration("syncwright-bookkeeping-7") { db in
            // Pulled rows that don't fit the model, set aside while everything else syncs:
            // the row as the server sent it, what is wrong, and the pull's request id.
            try db.execute(sql: """
                CREATE TABLE syncwright_set_aside (
                    entity TEXT NOT NULL,
                    rowKey TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    problem TEXT NOT NULL,
                    serverRow TEXT,
                    version INTEGER,
                    requestId TEXT,
                    setAsideAt REAL NOT NULL,
                    PRIMARY KEY (entity, rowKey)
                )
                """)
        }
        return migrator
    }
}
