import Foundation
import GRDB
import Syncwright

/// Applying pulled rows: the store's page apply against raw GRDB prepared upserts of
/// the same rows, each page in one transaction on a WAL database.
enum ApplyBenchmarks {
    static let descriptor = SyncEntityDescriptor(
        name: "Item", tableName: "item", keyColumn: "id",
        columns: [
            SyncColumn("id", .uuid), SyncColumn("name", .string), SyncColumn("quantity", .int),
            SyncColumn("price", .decimal), SyncColumn("done", .bool), SyncColumn("note", .string, nullable: true),
            SyncColumn("seenAt", .timestamp),
        ],
        access: .readWrite, unit: "items")

    /// Deterministic UUIDs, so both runs write the same keys.
    static func uuid(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        let padded = String(repeating: "0", count: 12 - hex.count) + hex
        return "00000000-0000-4000-8000-" + padded
    }

    /// One page as the server sends it.
    static func page(_ number: Int, size: Int) -> PullResponse {
        let changes = (0..<size).map { offset -> PullChange in
            let index = number * size + offset
            let key = JSONValue.string(uuid(index))
            return PullChange(entity: "Item", op: .put, key: key, row: [
                "id": key, "name": .string("Item \(index)"), "quantity": .integer(Int64(index % 1000)),
                "price": .string("\(index % 100).\(index % 10)5"), "done": .bool(index % 3 == 0),
                "note": index % 2 == 0 ? .null : .string("note \(index)"),
                "seenAt": .string("2024-05-01T10:\(String(format: "%02d", index % 60)):00.000Z"),
                "updatedAt": .string("2024-05-01T10:00:00.000Z"),
            ], version: Int64(index + 1))
        }
        return PullResponse(changes: changes, units: ["items": String((number + 1) * size)], more: true)
    }

    /// The same page as ready-made database values, for the baseline.
    static func rawRows(_ number: Int, size: Int) -> [[DatabaseValue]] {
        (0..<size).map { offset in
            let index = number * size + offset
            return [
                UUID(uuidString: uuid(index))!.databaseValue, "Item \(index)".databaseValue, Int64(index % 1000).databaseValue,
                "\(index % 100).\(index % 10)5".databaseValue, (index % 3 == 0).databaseValue,
                index % 2 == 0 ? .null : "note \(index)".databaseValue,
                "2024-05-01 10:\(String(format: "%02d", index % 60)):00.000".databaseValue,
                Int64(index + 1).databaseValue, "2024-05-01 10:00:00.000".databaseValue,
            ]
        }
    }

    static func run(_ runner: inout BenchmarkRunner, rows: Int, pageSize: Int, checkTargets: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pages = rows / pageSize

        // The store.
        let model = SyncModel(schemaName: "Bench", subset: "all", schemaHash: "bench", entities: [descriptor])
        let store = try SyncStore(path: folder.appending(path: "store.sqlite").path(), model: model)
        var applySeconds = 0.0
        for number in 0..<pages {
            let page = page(number, size: pageSize)
            let start = DispatchTime.now().uptimeNanoseconds
            try store.applyPulledPage(page, unit: "items")
            applySeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let peakAfterApply = PeakMemory.residentBytes()
        let stored = try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM item") ?? 0 }
        guard stored == pages * pageSize else { throw BenchmarkFailure("the store holds \(stored) rows, not \(pages * pageSize)") }

        // The baseline: raw prepared upserts of the same rows, same table, same pages.
        let rawSeconds = try rawUpserts(rows: pages * pageSize, pageSize: pageSize, path: folder.appending(path: "raw.sqlite").path())

        let speed = rawSeconds / applySeconds
        runner.record(.init(
            name: "apply \(pages * pageSize) pulled rows in pages of \(pageSize) (UUID key + 6 columns)",
            seconds: applySeconds, baselineName: "raw GRDB prepared upserts", baselineSeconds: rawSeconds,
            target: "speed ≥ 50% of baseline (ratio ≤ 2.00×)",
            meetsTarget: checkTargets ? speed >= 0.5 : nil))
        let megabytes = Double(peakAfterApply) / 1_048_576
        runner.record(.init(
            name: String(format: "peak resident memory after applying: %.1f MB", megabytes),
            seconds: 0, target: "< 100 MB", meetsTarget: checkTargets ? megabytes < 100 : nil))
    }
}

extension ApplyBenchmarks {
    /// The baseline of the apply and sync figures: the same rows as ready-made database
    /// values bound to a cached `INSERT … ON CONFLICT DO UPDATE`, one transaction per page,
    /// on a WAL database. Returns the seconds spent writing.
    static func rawUpserts(rows: Int, pageSize: Int, path: String) throws -> Double {
        let pool = try DatabasePool(path: path)
        try pool.write { db in try db.execute(sql: descriptor.createTableSQL) }
        let columns = descriptor.columns.map(\.name) + ["version", "updatedAt"]
        let sql = """
            INSERT INTO item (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) \
            VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", "))) \
            ON CONFLICT("id") DO UPDATE SET \(columns.dropFirst().map { "\"\($0)\" = excluded.\"\($0)\"" }.joined(separator: ", "))
            """
        var total = 0.0
        for number in 0..<(rows / pageSize) {
            let page = rawRows(number, size: pageSize)
            let start = DispatchTime.now().uptimeNanoseconds
            try pool.write { db in
                let statement = try db.cachedStatement(sql: sql)
                for row in page {
                    statement.setUncheckedArguments(StatementArguments(row))
                    try statement.execute()
                }
            }
            total += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return total
    }
}

/// The process's peak resident memory.
enum PeakMemory {
    static func residentBytes() -> Int {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        return 0
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
        #endif
    }

    /// The process's resident memory now.
    static func currentBytes() -> Int {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        return 0
        #else
        return residentBytes()
        #endif
    }

    /// Starts a new peak at the current resident size (Linux: `/proc/self/clear_refs`),
    /// so the next figure is one benchmark's own.
    static func reset() {
        #if os(Linux)
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        #endif
    }
}
