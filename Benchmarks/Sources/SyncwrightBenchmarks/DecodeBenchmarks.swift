import Foundation
import Syncwright

/// Reading pull pages: the runtime's one-pass parser against `JSONDecoder` on the
/// same bytes.
enum DecodeBenchmarks {
    static func run(_ runner: inout BenchmarkRunner, rows: Int, pageSize: Int) throws {
        let pages = try (0..<(rows / pageSize)).map { try JSONEncoder().encode(ApplyBenchmarks.page($0, size: pageSize)) }
        let bytes = pages.reduce(0) { $0 + $1.count }
        var decoded = 0
        let fast = try runner.measure {
            decoded = 0
            for page in pages { decoded += try PullResponseDecoder.decode(page).changes.count }
        }
        guard decoded == rows else { throw BenchmarkFailure("PullResponseDecoder read \(decoded) rows, not \(rows)") }
        let reference = try runner.measure {
            for page in pages { _ = try JSONDecoder().decode(PullResponse.self, from: page) }
        }
        runner.record(.init(
            name: String(format: "read \(rows) pulled rows from JSON pages of \(pageSize) (%.0f MB)", Double(bytes) / 1_048_576),
            seconds: fast, baselineName: "JSONDecoder on the same pages", baselineSeconds: reference))
    }
}
