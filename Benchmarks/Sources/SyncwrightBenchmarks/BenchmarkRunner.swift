import Foundation

/// Runs named measurements, prints each beside its baseline as a ratio, and checks
/// the targets the project promises.
struct BenchmarkRunner {
    /// One printed figure.
    struct Figure {
        var name: String
        var seconds: Double
        var baselineName: String?
        var baselineSeconds: Double?
        var target: String?
        var meetsTarget: Bool?
    }

    private(set) var figures: [Figure] = []
    let iterations: Int

    /// The best (smallest) wall time of `iterations` runs of `body`, in seconds.
    func measure(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, iterations) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, elapsed)
        }
        return best
    }

    mutating func record(_ figure: Figure) {
        figures.append(figure)
        var line = figure.seconds > 0 ? "\(figure.name): \(Self.format(figure.seconds))" : figure.name
        if let baselineName = figure.baselineName, let baselineSeconds = figure.baselineSeconds {
            let ratio = figure.seconds / baselineSeconds
            line += " | baseline \(baselineName): \(Self.format(baselineSeconds)) | ratio \(String(format: "%.2f", ratio))×"
        }
        if let target = figure.target, let meets = figure.meetsTarget {
            line += " | target \(target): \(meets ? "met" : "MISSED")"
        }
        print(line)
    }

    var missedTargets: [Figure] { figures.filter { $0.meetsTarget == false } }

    static func format(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }
}
