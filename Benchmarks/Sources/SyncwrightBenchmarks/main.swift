import Foundation

// syncwright-benchmarks [--smoke]
//
// Prints each figure beside a baseline measured in the same run, as a ratio, and
// exits non-zero when a promised target is missed. --smoke runs small sizes once,
// to check that every benchmark still works.

let smoke = CommandLine.arguments.contains("--smoke")
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

var runner = BenchmarkRunner(iterations: smoke ? 1 : 3)
do {
    if smoke {
        // Apply first: its memory figure is the process's peak so far.
        try ApplyBenchmarks.run(&runner, rows: 20_000, pageSize: 1_000, checkTargets: false)
        try SchemaBenchmarks.run(&runner, entities: 50, fields: 20, targetSeconds: nil)
        try GenerateBenchmarks.generation(&runner, entities: 50, targetSeconds: nil)
        try GenerateBenchmarks.compileTime(&runner, entities: 10, targetPerEntity: nil)
    } else {
        // Apply first: its memory figure is the process's peak so far.
        try ApplyBenchmarks.run(&runner, rows: 1_000_000, pageSize: 1_000, checkTargets: checkTargets)
        try SchemaBenchmarks.run(&runner, entities: 1_000, fields: 20, targetSeconds: validateTarget)
        try GenerateBenchmarks.generation(&runner, entities: 1_000, targetSeconds: validateTarget)
        try GenerateBenchmarks.compileTime(&runner, entities: 200, targetPerEntity: compileTarget)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
if !runner.missedTargets.isEmpty {
    print("error: \(runner.missedTargets.count) target(s) missed")
    exit(1)
}
print("benchmarks: \(runner.figures.count) passed, 0 failed")
