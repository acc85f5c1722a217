import Foundation

// syncwright-benchmarks [--smoke]
//
// Prints each figure beside a baseline measured in the same run, as a ratio, and
// exits non-zero when a promised target is missed. --smoke runs small sizes once,
// to check that every benchmark still works.

// The sync benchmarks' server runs in a child process: this executable with --serve.
if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "--serve" {
    do {
        try await SyncBenchmarks.serve(schema: CommandLine.arguments[2], database: CommandLine.arguments[3])
        exit(0)
    } catch {
        print("error: \(error)")
        exit(1)
    }
}

let smoke = CommandLine.arguments.contains("--smoke")
/// `--only sync` (or apply, decode, users, live, attachments, rules, validate, generate, compile) runs one group.
/// The live group measures PostgreSQL too: run it through scripts/with-postgres.
let only: String? = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
func selected(_ group: String) -> Bool { only == nil || only == group }
#if DEBUG
print("note: this is a debug build; figures mean little and targets are not checked; use -c release")
/// Targets are checked only in release builds.
let validateTarget: Double? = nil
let checkTargets = false
let compileTarget: Double? = nil
#else
let validateTarget: Double? = 1.0
let checkTargets = true
let compileTarget: Double? = 0.3
#endif
print("Syncwright benchmarks (\(smoke ? "smoke run" : "full run")) on \(ProcessInfo.processInfo.activeProcessorCount) cores")

func runBenchmarks() async throws -> BenchmarkRunner {
    var runner = BenchmarkRunner(iterations: smoke ? 1 : 3)
    let rows = smoke ? 20_000 : 1_000_000
    let entities = smoke ? 50 : 1_000
    // Apply first: its memory figure is the process's peak so far.
    if selected("apply") {
        try ApplyBenchmarks.run(&runner, rows: rows, pageSize: 1_000, checkTargets: checkTargets && !smoke)
    }
    if selected("decode") {
        try DecodeBenchmarks.run(&runner, rows: smoke ? 20_000 : 200_000, pageSize: 1_000)
    }
    if selected("sync") {
        try await SyncBenchmarks.run(&runner, rows: rows, changed: smoke ? 100 : 1_000, pushes: smoke ? 2_000 : 10_000,
                                     pageSize: 5_000, checkTargets: checkTargets && !smoke)
    }
    if selected("users") {
        try await BucketBenchmarks.run(&runner, users: smoke ? 1_000 : 10_000, rowsPerUser: smoke ? 20 : 100,
                                       othersChanges: smoke ? 1_000 : 10_000, checkTargets: checkTargets && !smoke)
    }
    if selected("live") {
        try await LiveBenchmarks.run(&runner, writes: smoke ? 20 : 200, waitingDevices: smoke ? 100 : 2_000,
                                     pushesPerDevice: smoke ? 100 : 2_000, checkTargets: checkTargets && !smoke)
    }
    if selected("attachments") {
        try await AttachmentBenchmarks.run(&runner, files: smoke ? 10 : 100, fileSize: smoke ? 256 << 10 : 2 << 20,
                                           checkTargets: checkTargets && !smoke)
    }
    if selected("rules") {
        try await RuleBenchmarks.run(&runner, lines: smoke ? 2_000 : 20_000)
    }
    if selected("validate") {
        try SchemaBenchmarks.run(&runner, entities: entities, fields: 20, targetSeconds: smoke ? nil : validateTarget)
    }
    if selected("generate") {
        try GenerateBenchmarks.generation(&runner, entities: entities, targetSeconds: smoke ? nil : validateTarget)
    }
    if selected("compile") {
        try GenerateBenchmarks.compileTime(&runner, entities: smoke ? 10 : 200, targetPerEntity: smoke ? nil : compileTarget)
    }
    return runner
}

let runner: BenchmarkRunner
do {
    runner = try await runBenchmarks()
} catch {
    print("error: \(error)")
    exit(1)
}
if !runner.missedTargets.isEmpty {
    print("error: \(runner.missedTargets.count) target(s) missed")
    exit(1)
}
print("benchmarks: \(runner.figures.count) passed, 0 failed")
