import Foundation
import ServiceLifecycle
import Syncwright
import SyncwrightSchema

extension SyncService {
    /// `POST /v1/pull`: one page of changes to the requested units, for the caller's
    /// subset only.
    ///
    /// The page reads only the caller's buckets of the change log (see
    /// ``BucketDefinition``), after each unit's cursor, up to the log's newest committed
    /// entry at the start of the request, merged in sequence order. A `put` entry is
    /// sent with the row's current values; a `remove` entry only when the row isn't in
    /// the caller's subset any more (it may have moved to another of the caller's
    /// buckets). Cost follows the caller's changes since its cursor and the number of
    /// its buckets, not the size of the tables or other users' changes, and a device
    /// never hears of a row that wasn't in one of its buckets.
    ///
    /// The answer is the one a device reads: decoded from the body `POST /v1/pull` sends.
    public func pull(_ request: PullRequest, claims: [String: JSONValue]) async throws -> PullResponse {
        do {
            return try PullResponseDecoder.decode(try await pullJSON(request, claims: claims).body)
        } catch let failure as PullResponseDecoder.Failure {
            throw ServerDatabaseError("a pull page did not read back: \(failure.description)")
        }
    }

    /// The same page as ``pull(_:claims:)``, as the JSON body: the database layer writes
    /// each row as JSON (``WireRowReader``), without building dictionaries.
    func pullJSON(_ request: PullRequest, claims: [String: JSONValue]) async throws -> (body: Data, changes: Int) {
        let page = try await pullRowsWaiting(request, claims: claims)
        return (PullResponseWriter.json(page), page.rows.count)
    }

    /// The longest a pull may wait for a change, in seconds.
    public static let maximumPullWait: Double = 60

    /// A page, or, when it would be empty and the request may wait, the first page with
    /// a change in one of the caller's buckets (or the empty page when the wait ends).
    /// The pull registers for its buckets before its last read, so a change landing in
    /// between still wakes it; while it waits it costs no database work.
    func pullRowsWaiting(_ request: PullRequest, claims: [String: JSONValue]) async throws -> PulledPage {
        var page = try await pullRows(request, claims: claims)
        let wait = min(max(request.wait ?? 0, 0), Self.maximumPullWait)
        guard wait > 0, page.rows.isEmpty, !page.more else { return page }
        try await changeLogWatcher.start()
        let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
        while true {
            let ticket = bucketSignals.register(page.buckets)
            changeLogWatcher.pullStartedWaiting()
            // However this round ends (a page, the deadline, an error, cancellation), the
            // registration goes with it.
            defer { bucketSignals.cancel(ticket) }
            page = try await pullRows(request, claims: claims)
            if !page.rows.isEmpty || page.more { return page }
            // A server shutting down lets its waiting pulls go at once (an empty page,
            // same cursors): the devices wait again on another process or after the
            // restart, and nothing holds the shutdown for a wait.
            let signals = bucketSignals
            let woken = await withGracefulShutdownHandler {
                await signals.wait(ticket, until: deadline)
            } onGracefulShutdown: {
                signals.cancel(ticket)
            }
            guard woken else { return page }
            try Task.checkCancellation()
        }
    }

    /// Wakes the pulls waiting on buckets the log's new entries touched.
    func wakeWaitingPulls() {
        guard bucketSignals.waitingCount > 0 else { return }
        let watcher = changeLogWatcher
        Task { await watcher.poll() }
    }

    func pullRows(_ request: PullRequest, claims: [String: JSONValue]) async throws -> PulledPage {
        let served = try await servedSubset(named: request.subset, schemaHash: request.schemaHash)
        let subset = served.subset
        let parameters = try parameters(subset, claims: claims)
        guard request.limit > 0 else { throw ProtocolError.invalidRequest("limit must be at least 1") }
        guard !request.units.isEmpty else { throw ProtocolError.invalidRequest("units is empty; name at least one unit") }
        let limit = min(request.limit, Self.maximumPullLimit)
        let units = subset.units
        let fingerprint = fingerprint(subset, parameters)

        var compacted: Int64 = 0
        var resetsText: String?
        for row in try await database.read(
            "SELECT name, value FROM syncwright_state WHERE name IN ('compacted_through', '\(FilingResets.stateName)')", [])
        {
            if row.first?.text == "compacted_through" {
                compacted = row.last?.text.flatMap { Int64($0) } ?? 0
            } else {
                resetsText = row.last?.text
            }
        }
        let resets = filingResets(resetsText)
        // Entries up to the horizon have all committed: none numbered below it appears later.
        let newest = try await database.changeLogHorizon()
        let high = max(newest, compacted)
        var callerBuckets: [String: [String]] = [:]

        var changes: [PulledRow] = []
        var cursors: [String: String] = [:]
        var more = false
        var estimate = 0
        // Units in the subset's priority order, whatever order the request names them in.
        let requested = request.units.keys.sorted { a, b in
            (units.firstIndex { $0.name == a } ?? .max, a) < (units.firstIndex { $0.name == b } ?? .max, b)
        }
        // Every cursor is checked before anything is read, so one answer names every unit
        // to start over.
        var startingCursors: [String: PullCursor] = [:]
        var stale: [(unit: String, reason: String)] = []
        for name in requested {
            guard let unit = units.first(where: { $0.name == name }) else {
                throw ProtocolError.invalidRequest("unknown unit \"\(name)\" in subset \(subset.name); it has \(units.map(\.name).joined(separator: ", "))")
            }
            // A cursor of a unit holding an entity a deploy filed from scratch carries
            // that filing in its fingerprint: one made before it no longer matches.
            var filedAgain: [String] = []
            var filings: [String] = []
            for entity in unit.entityNames {
                guard let reset = resets.groups["\(subset.name)/\(entity)"] else { continue }
                guard reset.shape == bucketShapes["\(subset.name)/\(entity)"] else {
                    throw ProtocolError.bucketsUpcoming(entity: entity, subset: subset.name)
                }
                filedAgain.append(entity)
                filings.append("\(entity)@\(reset.from)")
            }
            let unitFingerprint = filings.isEmpty ? fingerprint : Self.fingerprint(fingerprint, filings: filings)
            guard let encoded = request.units[name] ?? nil else {
                startingCursors[name] = PullCursor(sequence: 0, isInitial: true, initialThrough: high, estimate: 0,
                                                   fingerprint: unitFingerprint, passStart: 0)
                continue
            }
            guard let decoded = PullCursor(encoded: encoded) else {
                throw ProtocolError.invalidRequest("the cursor of unit \(name) is not one this server made")
            }
            if decoded.fingerprint != unitFingerprint {
                stale.append((name, filedAgain.isEmpty
                    ? "was made for other claims (the token's claims changed)"
                    : decoded.fingerprint == fingerprint
                        ? "was made before a deploy filed \(filedAgain.joined(separator: ", ")) into buckets again (its filter changed)"
                        : "was made for other claims, or before a deploy filed \(filedAgain.joined(separator: ", ")) into buckets again"))
            } else if decoded.sequence > high || (decoded.isInitial && decoded.initialThrough != .max && decoded.initialThrough > high) {
                stale.append((name, "is ahead of the server's log (was the database restored?)"))
            } else if decoded.continuesAfter < compacted {
                // A download from scratch sends no removes until it reaches where it
                // started, so only the removes after that point must still be kept.
                stale.append((name, "is older than the deletions the server keeps"))
            } else {
                startingCursors[name] = decoded
            }
        }
        if !stale.isEmpty {
            throw ProtocolError.resyncRequired(
                stale.map { "the cursor of unit \($0.unit) \($0.reason)" }.joined(separator: "; ")
                    + "; pull \(stale.count == 1 ? "it" : "them") again from the start (cursor null)",
                units: stale.map(\.unit))
        }
        var caughtUp: [String: PullCursor] = [:]
        for name in requested {
            guard let unit = units.first(where: { $0.name == name }), var cursor = startingCursors[name] else { continue }
            let remaining = limit - changes.count
            guard remaining > 0 else {
                more = true
                cursors[name] = cursor.encoded
                continue
            }
            for entityName in unit.entityNames where callerBuckets[entityName] == nil {
                callerBuckets[entityName] = try await buckets(of: entityName, in: subset, parameters)
            }
            if cursor.isInitial && cursor.sequence == 0 && cursor.estimate == 0 {
                cursor.estimate = try await countChanges(unit, buckets: callerBuckets, after: 0, through: high, putsOnly: true)
            }
            // A download from scratch reads the log the initial way only up to where it
            // started; what changed after comes as ordinary changes once it has caught up.
            let through = cursor.isInitial ? min(high, cursor.initialThrough) : high
            let page = try await pullPage(unit: unit, subset: served, parameters: parameters, buckets: callerBuckets,
                                          cursor: cursor, high: through, limit: remaining)
            changes += page.changes
            let unitMore = page.more || through < high
            more = more || unitMore
            var next = cursor
            next.sequence = page.more ? page.lastSequence : through
            next.isInitial = cursor.isInitial && page.more
            next.estimate = unitMore ? max(0, cursor.estimate - page.scanned) : 0
            estimate += next.estimate
            if unitMore {
                next.recordRead(at: high, caughtUp: false)
                cursors[name] = next.encoded
            } else {
                caughtUp[name] = next
            }
        }
        if !caughtUp.isEmpty {
            // A new pass begins where each caught-up unit read through; what the pull
            // could see is read after its pages, so a change it didn't see is above it.
            let seen = try await database.read("SELECT max(seq) FROM syncwright_log", []).first?.first?.integer ?? 0
            for (name, var cursor) in caughtUp {
                cursor.recordRead(at: high, caughtUp: true, seen: seen)
                cursors[name] = cursor.encoded
            }
        }
        return PulledPage(rows: changes, units: cursors, more: more, estimate: more ? estimate : 0,
                          buckets: Set(callerBuckets.values.joined()))
    }

    /// The fingerprint of a unit's cursors when a deploy filed some of its entities from
    /// scratch (`Entity@position`, ``FilingResets``): a digest of the claims' fingerprint
    /// and those filings, in the same form.
    static func fingerprint(_ base: String, filings: [String]) -> String {
        shortDigest(base + "\n" + filings.sorted().joined(separator: "\n"))
    }

    /// `filing_resets`, decoded once per text.
    private func filingResets(_ text: String?) -> FilingResets {
        filingResets.withValue { cached in
            if cached.text != text { cached = (text, FilingResets(text: text)) }
            return cached.resets
        }
    }

    /// The caller's buckets of `entityName` in `subset`.
    func buckets(of entityName: String, in subset: Subset, _ parameters: SubsetParameters) async throws -> [String] {
        var ids: [String] = []
        for definition in bucketDefinitions[subset.name]?[entityName] ?? [] {
            if let direct = try definition.callerBuckets(parameters) {
                ids += direct
                continue
            }
            // Not direct: list the branch's buckets and keep those the caller reads.
            let prefix = definition.prefix
            let listed = try await database.read(
                "SELECT DISTINCT bucket FROM syncwright_log WHERE bucket > \(dialect.placeholder(1)) AND bucket < \(dialect.placeholder(2))",
                [.text(prefix + "/"), .text(prefix + "0")])
            ids += listed.compactMap { $0.first?.text }.filter { definition.callerReads($0, parameters) }
            if ids.count > BucketDefinition.maximumCallerBuckets * 10 {
                // A bound on one statement's arguments (SQLite allows 32,766).
                throw ProtocolError.claimMissing("the token's claims select more than \(BucketDefinition.maximumCallerBuckets * 10) buckets of \(entityName) in subset \(subset.name)")
            }
        }
        return ids
    }

    /// Appends `bucket IN (…)` for `column`.
    private func appendBuckets(_ buckets: [String], column: String, to builder: inout SQLBuilder) {
        builder.append("\(column) IN (")
        for (index, bucket) in buckets.enumerated() {
            if index > 0 { builder.append(", ") }
            builder.bind(.text(bucket))
        }
        builder.append(")")
    }

    /// Appends `bucket IN (…) AND seq > after AND seq <= through`, for the log's columns
    /// as `table` names them (`"c."`, or `""` for the log alone).
    private func appendEntries(
        in buckets: [String], of table: String = "", after: Int64, through: Int64, to builder: inout SQLBuilder
    ) {
        appendBuckets(buckets, column: "\(table)bucket", to: &builder)
        builder.append(" AND \(table)seq > ")
        builder.bind(.integer(after))
        builder.append(" AND \(table)seq <= ")
        builder.bind(.integer(through))
    }

    /// The log entries of the caller's buckets of `unit` in `(after, through]`.
    private func countChanges(
        _ unit: SubsetUnit, buckets: [String: [String]], after: Int64, through: Int64, putsOnly: Bool
    ) async throws -> Int {
        let all = unit.entityNames.flatMap { buckets[$0] ?? [] }
        guard !all.isEmpty else { return 0 }
        var builder = SQLBuilder(dialect)
        builder.append("SELECT count(*) FROM syncwright_log WHERE ")
        appendEntries(in: all, after: after, through: through, to: &builder)
        if putsOnly { builder.append(" AND removed = \(dialect.boolean(false))") }
        return Int(try await database.read(builder.sql, builder.arguments).first?.first?.integer ?? 0)
    }

    private struct Page {
        var changes: [PulledRow] = []
        var more = false
        var lastSequence: Int64 = 0
        /// Log entries looked at, sent or not.
        var scanned = 0
    }

    private func pullPage(
        unit: SubsetUnit, subset served: ServedSubset, parameters: SubsetParameters, buckets: [String: [String]], cursor: PullCursor,
        high requestedHigh: Int64, limit: Int
    ) async throws -> Page {
        // The removes the device can't have had a put of, left out; the page reads no
        // further than the last one it could judge.
        let unseen = try await unseenRemoves(unit: unit, buckets: buckets, cursor: cursor, high: requestedHigh, limit: limit)
        let high = unseen.judgedThrough
        // Each entity's first `limit` entries, merged by sequence number.
        var entries: [(sequence: Int64, change: PulledRow)] = []
        var anyFull = false
        for entityName in unit.entityNames {
            guard let plan = served.plans[entityName], let entityBuckets = buckets[entityName],
                  !entityBuckets.isEmpty else { continue }
            var builder = SQLBuilder(dialect)
            let keyMatch = dialect.keyFromText("c.key", plan.entity.keyField.type.storage)
            func appendMatches() {
                builder.append("(t.\(plan.keyColumn) IS NOT NULL AND ")
                if let valid = plan.validRow { builder.append("\(valid) AND ") }
                plan.appendFilter(to: &builder, parameters: parameters, mode: .full)
                builder.append(")")
            }
            builder.append("SELECT c.seq, c.key, CASE WHEN c.removed = \(dialect.boolean(false)) THEN 1 ELSE 0 END, ")
            builder.append("\(plan.selectList) FROM syncwright_log AS c ")
            builder.append("LEFT JOIN \(plan.table) AS t ON t.\(plan.keyColumn) = \(keyMatch)\(plan.joins) WHERE ")
            appendEntries(in: entityBuckets, of: "c.", after: cursor.sequence, through: high, to: &builder)
            if cursor.isInitial {
                // The device holds nothing of this unit yet: send only rows it keeps.
                builder.append(" AND c.removed = \(dialect.boolean(false)) AND ")
                appendMatches()
            } else {
                // A put while the row is in the caller's subset; a remove only once it
                // isn't, as of the horizon: a row that moved to another of the caller's
                // buckets keeps it while that bucket's put is at or below the horizon (a
                // move committed after the horizon is read with the later pages).
                builder.append(" AND ((c.removed = \(dialect.boolean(false)) AND ")
                appendMatches()
                builder.append(") OR (c.removed = \(dialect.boolean(true)) AND NOT (")
                appendMatches()
                builder.append(" AND EXISTS (SELECT 1 FROM syncwright_log AS b WHERE b.entity = c.entity AND b.key = c.key AND ")
                appendBuckets(entityBuckets, column: "b.bucket", to: &builder)
                builder.append(" AND b.removed = \(dialect.boolean(false)) AND b.seq <= ")
                builder.bind(.integer(requestedHigh))
                builder.append("))")
                if let left = unseen.sequences[entityName], !left.isEmpty {
                    builder.append(" AND c.seq NOT IN (")
                    for (index, sequence) in left.enumerated() {
                        if index > 0 { builder.append(", ") }
                        builder.bind(.integer(sequence))
                    }
                    builder.append(")")
                }
                builder.append("))")
            }
            builder.append(" ORDER BY c.seq LIMIT ")
            builder.bind(.integer(Int64(limit)))
            let rows = try await rowReader.changes(builder.sql, builder.arguments, plan: plan)
            if rows.count == limit { anyFull = true }
            for (sequence, json) in rows { entries.append((sequence, PulledRow(json: json))) }
        }
        entries.sort { $0.sequence < $1.sequence }
        var page = Page()
        page.more = anyFull || entries.count > limit
        let kept = entries.prefix(limit)
        page.changes = kept.map(\.change)
        page.scanned = kept.count
        page.lastSequence = kept.last?.sequence ?? cursor.sequence
        if !page.more && high < requestedHigh {
            // Read through the last remove judged; the rest with the next page.
            page.more = true
            page.lastSequence = high
        }
        return page
    }

    /// The removes a page leaves out, by entity, and how far it judged them.
    private struct UnseenRemoves {
        var sequences: [String: [Int64]] = [:]
        var judgedThrough: Int64
    }

    /// The `remove`s after the cursor, up to `high`, of entries the device can't have had
    /// a `put` of (``PullCursor/neverSaw(origin:removed:)``,
    /// ``PullCursor/neverReceivedPut(origin:versions:removed:)``): a put and a later
    /// remove, both after the cursor, send nothing.
    ///
    /// The row's other entries in the caller's buckets whose removes the device read in
    /// this pass count too: such a remove was held back if the row was in another of the
    /// caller's buckets then, and the device may still hold the row through it (compaction
    /// keeps them while the row has a later entry). The first `limit` removes of each
    /// entity are judged; when one entity has more, the page reads no further than the
    /// last judged.
    private func unseenRemoves(
        unit: SubsetUnit, buckets: [String: [String]], cursor: PullCursor, high: Int64, limit: Int
    ) async throws -> UnseenRemoves {
        var result = UnseenRemoves(judgedThrough: high)
        guard !cursor.isInitial, cursor.passStart != .max, cursor.sequence < high else { return result }
        typealias Entry = (sequence: Int64, key: String, origin: Int64, versions: LogEntryVersions?)
        func entries(_ rows: SQLRows) -> [Entry] {
            rows.compactMap { row in
                guard row.count == 4, let sequence = row[0].integer, let key = row[1].text, let origin = row[2].integer else { return nil }
                return (sequence, key, origin, row[3].text.flatMap(LogEntryVersions.init(text:)))
            }
        }
        func mayHaveReceived(_ entry: Entry) -> Bool {
            !cursor.neverSaw(origin: entry.origin, removed: entry.sequence)
                && !cursor.neverReceivedPut(origin: entry.origin, versions: entry.versions, removed: entry.sequence)
        }
        var candidates: [String: [Entry]] = [:]
        for entityName in unit.entityNames {
            guard let entityBuckets = buckets[entityName], !entityBuckets.isEmpty else { continue }
            var builder = SQLBuilder(dialect)
            builder.append("SELECT seq, key, coalesce(origin_seq, seq), versions FROM syncwright_log WHERE ")
            appendEntries(in: entityBuckets, after: cursor.sequence, through: high, to: &builder)
            builder.append(" AND removed = \(dialect.boolean(true)) ORDER BY seq LIMIT ")
            builder.bind(.integer(Int64(limit)))
            let judged = entries(try await database.read(builder.sql, builder.arguments))
            candidates[entityName] = judged
            if judged.count == limit, let last = judged.last {
                result.judgedThrough = min(result.judgedThrough, last.sequence)
            }
        }
        for (entityName, judged) in candidates {
            let unseen = judged.filter { $0.sequence <= result.judgedThrough && !mayHaveReceived($0) }
            guard !unseen.isEmpty, let entityBuckets = buckets[entityName] else { continue }
            // The same rows' removes the device read in this pass, in its other buckets.
            var builder = SQLBuilder(dialect)
            builder.append("SELECT seq, key, coalesce(origin_seq, seq), versions FROM syncwright_log WHERE entity = ")
            builder.bind(.text(entityName))
            builder.append(" AND ")
            appendEntries(in: entityBuckets, after: cursor.passStart, through: cursor.sequence, to: &builder)
            builder.append(" AND removed = \(dialect.boolean(true)) AND key IN (")
            for (index, key) in Set(unseen.map(\.key)).sorted().enumerated() {
                if index > 0 { builder.append(", ") }
                builder.bind(.text(key))
            }
            builder.append(")")
            let heldThroughAnother = Set(entries(try await database.read(builder.sql, builder.arguments)).filter(mayHaveReceived).map(\.key))
            result.sequences[entityName] = unseen.filter { !heldThroughAnother.contains($0.key) }.map(\.sequence)
        }
        return result
    }
}

/// One change of a page, written as its JSON object by the database layer.
struct PulledRow: Sendable {
    let json: [UInt8]
}

/// A page before it is written out.
struct PulledPage: Sendable {
    var rows: [PulledRow]
    var units: [String: String]
    var more: Bool
    var estimate: Int?
    /// The caller's buckets the page read: what a waiting pull waits on.
    var buckets: Set<String> = []
}

