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
#else
let validateTarget: Double? = 1.0
#endif
print("Syncwright benchmarks (\(smoke ? "smoke run" : "full run")) on \(ProcessInfo.processInfo.activeProcessorCount) cores")

var runner = BenchmarkRunner(iterations: smoke ? 1 : 3)
do {
    if smoke {
        try SchemaBenchmarks.run(&runner, entities: 50, fields: 20, targetSeconds: nil)
    } else {
        try SchemaBenchmarks.run(&runner, entities: 1_000, fields: 20, targetSeconds: validateTarget)
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
