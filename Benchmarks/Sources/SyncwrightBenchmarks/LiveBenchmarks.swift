import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import Syncwright
import SyncwrightAsyncHTTPClient
import SyncwrightServer

/// Live sync and scale-out, with the server in child processes (this executable with
/// `--serve`): how soon a waiting device hears of a commit, what thousands of waiting
/// devices cost the server, and what a second server process adds on PostgreSQL.
enum LiveBenchmarks {
    static func run(_ runner: inout BenchmarkRunner, writes: Int, waitingDevices: Int, pushesPerDevice: Int,
                    checkTargets: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-live-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaPath = folder.appending(path: "bench.yaml").path()
        try SyncBenchmarks.schema.write(toFile: schemaPath, atomically: true, encoding: .utf8)
        let schemaHash = try SyncServer.loadSchema(schemaPath).schemaHash
        let serverPath = folder.appending(path: "server.sqlite").path()
        try await SyncBenchmarks.seed(serverPath, schemaPath: schemaPath, rows: 100)
        let token = try await TokenMinter.mint(secret: SyncBenchmarks.secret, claims: ["sub": .string("bench")], lifetime: 3600)

        let server = try SyncBenchmarks.ServerProcess.start(schema: schemaPath, database: serverPath)
        defer { server.stop() }
        let baseURL = URL(string: "http://127.0.0.1:\(server.port)")!
        try await latency(&runner, baseURL: baseURL, serverPath: serverPath, schemaHash: schemaHash, token: token,
                          writes: writes, checkTargets: checkTargets)
        try await waiting(&runner, server: server, baseURL: baseURL, serverPath: serverPath, schemaHash: schemaHash,
                          token: token, devices: waitingDevices)
        server.stop()

        guard let admin = ProcessInfo.processInfo.environment["SYNCWRIGHT_TEST_POSTGRES_URL"], !admin.isEmpty else {
            throw BenchmarkFailure("""
                the live benchmarks measure PostgreSQL too and need SYNCWRIGHT_TEST_POSTGRES_URL; \
                run them through scripts/with-postgres
                """)
        }
        try await scaleOut(&runner, admin: admin, schemaPath: schemaPath, schemaHash: schemaHash, token: token,
                           pushesPerDevice: pushesPerDevice)
    }

    static func pullRequest(_ schemaHash: String, cursor: String?, wait: Double?) -> PullRequest {
        PullRequest(subset: "all", schemaHash: schemaHash, units: ["items": cursor], limit: 5_000, wait: wait)
    }

    /// Pages until the unit is caught up; its cursor.
    static func catchUp(_ transport: HTTPSyncTransport, _ schemaHash: String, from cursor: String? = nil) async throws -> String {
        var cursor = cursor
        while true {
            let page = try await transport.pull(pullRequest(schemaHash, cursor: cursor, wait: nil))
            cursor = page.units["items"] ?? cursor
            if !page.more, let cursor { return cursor }
        }
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    // MARK: - Commit → device

    /// A device waits; a write lands (through the server, then by SQL into its SQLite
    /// file from this process); the time until the waiting pull answers with it.
    static func latency(_ runner: inout BenchmarkRunner, baseURL: URL, serverPath: String, schemaHash: String, token: String,
                        writes: Int, checkTargets: Bool) async throws {
        let device = HTTPSyncTransport(baseURL: baseURL, timeout: 30) { token }
        let writer = HTTPSyncTransport(baseURL: baseURL, timeout: 30) { token }
        var cursor = try await catchUp(device, schemaHash)

        // The baseline: an immediate pull with nothing new, the round trip a waiting
        // pull's answer can't beat.
        var roundTrips: [Double] = []
        for _ in 0..<max(20, writes) {
            let start = now()
            _ = try await device.pull(pullRequest(schemaHash, cursor: cursor, wait: nil))
            roundTrips.append(now() - start)
        }
        roundTrips.sort()
        let roundTrip = percentile(roundTrips, 0.5)

        let pool = try DatabasePool(path: serverPath)
        defer { try? pool.close() }
        for path in ["through the server", "by SQL from another process"] {
            var latencies: [Double] = []
            for index in 0..<writes {
                let waiting = Task { [cursor] in try await device.pull(pullRequest(schemaHash, cursor: cursor, wait: 30)) }
                // Let the pull reach the server and start waiting.
                try await Task.sleep(for: .milliseconds(15))
                let key = ApplyBenchmarks.uuid(index % 100)
                let written: Double
                if path == "through the server" {
                    written = now()
                    let response = try await writer.push(PushRequest(
                        clientId: "writer", subset: "all", schemaHash: schemaHash,
                        ops: [PushOperation(opId: UUID().uuidString, entity: "Item", kind: .update, key: .string(key), baseVersion: nil,
                                            values: ["quantity": .integer(Int64(index))])]))
                    guard response.results.first?.status == .applied else { throw BenchmarkFailure("a write was not applied: \(response)") }
                } else {
                    try await pool.write { db in
                        try db.execute(sql: "UPDATE items SET quantity = ? WHERE id = ?", arguments: [index, key])
                    }
                    written = now()
                }
                let page = try await waiting.value
                let answered = now()
                guard page.changes.contains(where: { $0.key == .string(key) }) else {
                    throw BenchmarkFailure("the waiting pull answered without the write (\(page.changes.count) changes)")
                }
                latencies.append(answered - written)
                cursor = page.units["items"] ?? cursor
            }
            latencies.sort()
            let median = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99)
            // A write by another process is seen by the server's 5 ms check of SQLite's
            // data_version, which can't miss a commit: no wake waits for the 1 s backstop.
            let bySQL = path != "through the server"
            runner.record(.init(
                name: String(format: "commit → waiting device, %d writes %@ (SQLite): median %.1f ms, p99 %.1f ms, max %.1f ms",
                             writes, path, median * 1000, p99 * 1000, (latencies.last ?? 0) * 1000),
                seconds: median, baselineName: "an immediate pull's round trip (median)", baselineSeconds: roundTrip,
                target: bySQL ? "median < 10 ms, p99 < 20 ms" : "median < 10 ms, p99 < 50 ms",
                meetsTarget: checkTargets ? median < 0.010 && p99 < (bySQL ? 0.020 : 0.050) : nil))
        }
    }

    // MARK: - Many waiting devices

    /// The server process's resident memory and CPU time (user + system), from /proc.
    static func usage(of pid: Int32) -> (resident: Int, cpuSeconds: Double) {
        var resident = 0
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            resident = kilobytes * 1024
        }
        var cpu = 0.0
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command's closing parenthesis: state is the 3rd field;
            // utime and stime the 14th and 15th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpu = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        return (resident, cpu)
    }

    static func waiting(_ runner: inout BenchmarkRunner, server: SyncBenchmarks.ServerProcess, baseURL: URL, serverPath: String,
                        schemaHash: String, token: String, devices: Int) async throws {
        let pid = server.process.processIdentifier
        // One connection per waiting device, as thousands of phones would hold.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = devices + 16
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        let transport = HTTPSyncTransport(baseURL: baseURL, timeout: 30, client: AsyncHTTPSyncClient(client: client)) { token }
        let cursor = try await catchUp(transport, schemaHash)
        let window = 5.0

        // At rest: no pull waits.
        try await Task.sleep(for: .seconds(1))
        let rest = usage(of: pid)
        try await Task.sleep(for: .seconds(window))
        let restCPU = usage(of: pid).cpuSeconds - rest.cpuSeconds
        // The baseline: what one round of polling by every device costs the server (the
        // price, every `window` seconds, of devices polling instead of waiting).
        let beforePolls = usage(of: pid).cpuSeconds
        for first in stride(from: 0, to: devices, by: 100) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in first..<min(first + 100, devices) {
                    group.addTask { _ = try await transport.pull(pullRequest(schemaHash, cursor: cursor, wait: nil)) }
                }
                try await group.waitForAll()
            }
        }
        let pollCPU = usage(of: pid).cpuSeconds - beforePolls

        let sent = now()
        let pulls = (0..<devices).map { _ in
            Task { () -> (PullResponse, Double) in
                let page = try await transport.pull(pullRequest(schemaHash, cursor: cursor, wait: 60))
                return (page, now())
            }
        }
        // Every request reaches the server and waits; then the server sits idle.
        var settled = usage(of: pid)
        for _ in 0..<60 {
            try await Task.sleep(for: .seconds(1))
            let next = usage(of: pid)
            let quiet = next.cpuSeconds - settled.cpuSeconds < 0.05
            settled = next
            if quiet { break }
        }
        try await Task.sleep(for: .seconds(window))
        let busy = usage(of: pid)
        let idleCPU = busy.cpuSeconds - settled.cpuSeconds
        // One write wakes them all: each answers with it.
        let pool = try DatabasePool(path: serverPath)
        let written = now()
        try await pool.write { db in try db.execute(sql: "UPDATE items SET quantity = quantity + 1 WHERE id = ?", arguments: [ApplyBenchmarks.uuid(1)]) }
        try pool.close()
        var answered = 0
        var early: [Double] = []
        for pull in pulls {
            let (page, at) = try await pull.value
            if page.changes.count == 1 { answered += 1 } else { early.append(at - sent) }
        }
        let wakeAll = now() - written
        guard answered == devices else {
            throw BenchmarkFailure(String(format: "%d of %d waiting pulls answered with the write; the others answered empty %.1f–%.1f s after they were sent (written at %.1f s)",
                                          answered, devices, early.min() ?? 0, early.max() ?? 0, written - sent))
        }
        let perDevice = Double(busy.resident - rest.resident) / Double(devices)
        runner.record(.init(
            name: String(format: "%d devices waiting on one server process: %.1f KB resident each (%.0f MB → %.0f MB); "
                            + "server CPU over %.0f s while they wait and nothing changes: %.2f%% of a core (%.2f%% with none waiting)",
                         devices, perDevice / 1024, Double(rest.resident) / 1_048_576, Double(busy.resident) / 1_048_576,
                         window, idleCPU / window * 100, restCPU / window * 100),
            seconds: max(idleCPU, 0.01), baselineName: "server CPU for one immediate pull by each of them (polling once)",
            baselineSeconds: max(pollCPU, 0.01)))
        runner.record(.init(
            name: "one write wakes all \(devices) waiting devices, each answered with it",
            seconds: wakeAll, baselineName: "waiting window", baselineSeconds: window))
    }

    // MARK: - PostgreSQL: one server process and two

    static func createDatabase(_ admin: String) throws -> String {
        let name = "sw_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkFailure("creating database \(name) failed") }
        var components = URLComponents(string: admin)!
        components.path = "/" + name
        return components.string!
    }

    /// Eight devices push inserts at once, in pushes of 50, through `processes` server
    /// processes on one fresh database; ops per second.
    static func pushThroughput(processes: Int, admin: String, schemaPath: String, schemaHash: String, token: String,
                               pushesPerDevice: Int) async throws -> Double {
        let url = try createDatabase(admin)
        var servers: [SyncBenchmarks.ServerProcess] = []
        defer { for server in servers { server.stop() } }
        for _ in 0..<processes { servers.append(try SyncBenchmarks.ServerProcess.start(schema: schemaPath, database: url)) }
        let batch = 50
        let start = now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in 0..<8 {
                let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:\(servers[device % processes].port)")!,
                                                  timeout: 60) { token }
                group.addTask {
                    for first in stride(from: 0, to: pushesPerDevice, by: batch) {
                        let ops = (first..<min(first + batch, pushesPerDevice)).map { index in
                            PushOperation(opId: "d\(device)-\(index)", entity: "Item", kind: .insert, key: .string(UUID().uuidString.lowercased()),
                                          baseVersion: nil, values: [
                                              "name": .string("Device \(device) item \(index)"), "quantity": .integer(Int64(index)),
                                              "price": .string("1.00"), "done": .bool(false), "seenAt": .string("2024-05-01T10:00:00.000Z"),
                                          ])
                        }
                        let response = try await transport.push(PushRequest(clientId: "device-\(device)", subset: "all",
                                                                            schemaHash: schemaHash, ops: ops))
                        guard response.results.allSatisfy({ $0.status == .applied }) else {
                            throw BenchmarkFailure("a push was not applied: \(response.results.first { $0.status != .applied }.map { "\($0)" } ?? "")")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = now() - start
        let counting = Process()
        counting.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        counting.arguments = ["psql", url, "-tAc", "SELECT count(*) FROM items"]
        let output = Pipe()
        counting.standardOutput = output
        try counting.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        counting.waitUntilExit()
        let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        guard count == 8 * pushesPerDevice else { throw BenchmarkFailure("the database holds \(count) items, not \(8 * pushesPerDevice)") }
        return Double(8 * pushesPerDevice) / elapsed
    }

    static func scaleOut(_ runner: inout BenchmarkRunner, admin: String, schemaPath: String, schemaHash: String, token: String,
                         pushesPerDevice: Int) async throws {
        let one = try await pushThroughput(processes: 1, admin: admin, schemaPath: schemaPath, schemaHash: schemaHash, token: token,
                                           pushesPerDevice: pushesPerDevice)
        let two = try await pushThroughput(processes: 2, admin: admin, schemaPath: schemaPath, schemaHash: schemaHash, token: token,
                                           pushesPerDevice: pushesPerDevice)
        let ops = Double(8 * pushesPerDevice)
        runner.record(.init(
            name: String(format: "PostgreSQL: 8 devices push %d inserts (pushes of 50) through two server processes: %.0f ops/s (one process: %.0f ops/s)",
                         8 * pushesPerDevice, two, one),
            seconds: ops / two, baselineName: "the same through one server process", baselineSeconds: ops / one))
    }
}
